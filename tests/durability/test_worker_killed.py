"""A production worker SIGKILLed while a delivery is in flight: another worker finishes the job, and the case
system still gets exactly one `case.opened` per ticket by event id (the retransmission carries the same id)."""
from __future__ import annotations

import pytest

from tests.durability.support import (all_delivered, assert_each_ticket_opened_once, describe, process_environ,
                                      report, wait_for)

pytestmark = [pytest.mark.durability, pytest.mark.timeout(120)]

TICKETS = 4


def test_worker_killed_mid_delivery_loses_nothing_and_doubles_nothing(pg_url, redis_url, case_system,
                                                                      profile, tmp_path, engine_for, procs):
    env = process_environ(pg_url, tmp_path / "var", profile, GATEWAY_REDIS_URL=redis_url,
                          DOWNSTREAM_URL=case_system.url)
    engine = engine_for(pg_url)
    case_system.delay = 3.0  # every POST takes 3 s: the kill lands while the first one is in flight
    server = procs.serve(env)
    references = []
    for n in range(TICKETS):
        response = server.post_app(report(n, "kill-worker"), idem=f"kill-worker-{n}")
        assert response.status_code == 201, response.text
        references.append(response.json()["reference"])

    first = procs.worker(env)
    wait_for(lambda: case_system.arrived, 30, "the first delivery to reach the case system",
             diagnose=lambda: first.log_tail() + "\n" + describe(engine))
    first.kill()
    in_flight = case_system.arrived[0]
    assert not case_system.events, "the kill was meant to land before the case system answered"

    procs.worker(env)
    wait_for(lambda: all_delivered(engine, TICKETS), 60, "every ticket to be delivered by the second worker",
             interval=0.3, diagnose=lambda: procs.logs() + "\n" + describe(engine))

    assert_each_ticket_opened_once(case_system, references, engine)
    # The event in flight at the kill really went out twice, under one id (at-least-once on the wire).
    assert case_system.arrived.count(in_flight) >= 2
