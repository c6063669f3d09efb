"""Redis gone while submissions arrive: they are still acknowledged (the database is the truth), and once Redis
is back a worker's sweeper finds them and the pipeline delivers them."""
from __future__ import annotations

import time

import pytest

from tests.durability.support import (all_delivered, assert_each_ticket_opened_once, describe, process_environ,
                                      report, ticket_rows, wait_for)

pytestmark = [pytest.mark.durability, pytest.mark.timeout(120)]

TICKETS = 3


def test_submissions_while_redis_is_down_are_acknowledged_then_delivered(pg_url, redis_server, redis_url,
                                                                          case_system, profile, tmp_path,
                                                                          engine_for, procs):
    env = process_environ(pg_url, tmp_path / "var", profile, GATEWAY_REDIS_URL=redis_url,
                          DOWNSTREAM_URL=case_system.url)
    engine = engine_for(pg_url)
    server = procs.serve(env)
    assert server.get("/readyz").status_code == 200

    redis_server.kill()  # its queues die with it: no persistence
    references = []
    for n in range(TICKETS):
        started = time.monotonic()
        response = server.post_app(report(n, "redis-down"), idem=f"redis-down-{n}")
        assert response.status_code == 201, response.text
        assert time.monotonic() - started < 5, "the caller must not wait long for a queue that is down"
        references.append(response.json()["reference"])
    assert [r.status for r in ticket_rows(engine)] == ["received"] * TICKETS
    ready = server.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("unavailable")

    redis_server.start()  # empty: nothing was ever queued for these tickets
    procs.worker(env)
    wait_for(lambda: all_delivered(engine, TICKETS), 45, "the sweeper to pick the tickets up and deliver them",
             interval=0.3, diagnose=lambda: procs.logs() + "\n" + describe(engine))
    assert_each_ticket_opened_once(case_system, references, engine)
    assert server.get("/readyz").status_code == 200


def test_a_running_worker_outlives_a_redis_restart(pg_url, redis_server, redis_url, case_system, profile,
                                                   tmp_path, engine_for, procs):
    env = process_environ(pg_url, tmp_path / "var", profile, GATEWAY_REDIS_URL=redis_url,
                          DOWNSTREAM_URL=case_system.url)
    engine = engine_for(pg_url)
    server = procs.serve(env)
    worker = procs.worker(env)
    first = server.post_app(report(0, "redis-restart"), idem="redis-restart-0").json()["reference"]
    wait_for(lambda: all_delivered(engine, 1), 30, "the first ticket to be delivered",
             diagnose=lambda: procs.logs() + "\n" + describe(engine))

    redis_server.kill()
    second = server.post_app(report(1, "redis-restart"), idem="redis-restart-1")
    assert second.status_code == 201, second.text
    time.sleep(2)  # the worker notices: its connection is gone
    redis_server.start()

    wait_for(lambda: all_delivered(engine, 2), 60, "the worker to reconnect and deliver the second ticket",
             interval=0.3, diagnose=lambda: procs.logs() + "\n" + describe(engine))
    assert worker.alive()
    assert_each_ticket_opened_once(case_system, [first, second.json()["reference"]], engine)
