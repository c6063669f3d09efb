"""Embedded mode (SQLite, the pipeline in a thread of `gateway serve`) SIGKILLed after acknowledging
submissions, before its pipeline finished; restarted on the same files, it delivers every acknowledged ticket
exactly once by event id."""
from __future__ import annotations

import pytest

from tests.durability.support import (all_delivered, assert_each_ticket_opened_once, describe, free_port,
                                      process_environ, report, ticket_rows, wait_for)

pytestmark = [pytest.mark.durability, pytest.mark.timeout(120)]

TICKETS = 5


@pytest.mark.parametrize("downstream", ["slow", "down"])
def test_embedded_server_killed_then_restarted_delivers_every_acknowledged_ticket_once(
        downstream, tmp_path, case_system, profile, engine_for, procs):
    """`slow`: killed while its first delivery is in flight; `down`: killed right after the last 201, with the
    case system unreachable (the pipeline could not have finished)."""
    database_url = f"sqlite:///{tmp_path / 'var' / 'gateway.db'}"
    if downstream == "slow":
        case_system.delay = 3.0
        first_url = case_system.url
    else:
        first_url = f"http://127.0.0.1:{free_port()}/events"  # nothing listens there
    server = procs.serve(process_environ(database_url, tmp_path / "var", profile, DOWNSTREAM_URL=first_url))
    references = []
    for n in range(TICKETS):
        response = server.post_app(report(n, f"embedded-{downstream}"), idem=f"embedded-{downstream}-{n}")
        assert response.status_code == 201, response.text
        references.append(response.json()["reference"])
    if downstream == "slow":
        wait_for(lambda: case_system.arrived, 30, "the first delivery to be in flight",
                 diagnose=server.proc.log_tail)
    server.proc.kill()
    engine = engine_for(database_url)
    kept = ticket_rows(engine)
    assert sorted(r.reference for r in kept) == sorted(references)  # every acknowledged ticket is on disk
    assert any(r.status != "delivered" for r in kept), "the kill was meant to land before the pipeline finished"
    assert not case_system.events
    engine.dispose()  # let the restarted server have the file to itself

    case_system.delay = 0
    procs.serve(process_environ(database_url, tmp_path / "var", profile, DOWNSTREAM_URL=case_system.url))
    engine = engine_for(database_url)
    wait_for(lambda: all_delivered(engine, TICKETS), 45, "the restarted server to deliver every ticket",
             interval=0.3, diagnose=lambda: procs.logs() + "\n" + describe(engine))
    assert_each_ticket_opened_once(case_system, references, engine)
    if downstream == "slow":
        assert case_system.arrived.count(case_system.arrived[0]) >= 2  # resent after the kill, same event id
