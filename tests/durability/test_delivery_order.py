"""The case system fails (500) for a while, then recovers: real worker processes still deliver each case's events
in sequence order, none skipped, none overtaking an earlier one that was not yet acknowledged."""
from __future__ import annotations

from collections import defaultdict

import pytest

from tests.durability.support import all_delivered, describe, outbox_rows, process_environ, report, wait_for

pytestmark = [pytest.mark.durability, pytest.mark.timeout(120)]

REPEATS = 4     # reports per case: a `case.opened`, then `case.report_added` for each exact repeat
FAILURES = 10   # the case system's first answers are 500s


def test_events_of_a_case_arrive_in_sequence_through_failures(pg_url, redis_url, case_system, profile, tmp_path,
                                                              engine_for, procs):
    env = process_environ(pg_url, tmp_path / "var", profile, GATEWAY_REDIS_URL=redis_url,
                          DOWNSTREAM_URL=case_system.url)
    engine = engine_for(pg_url)
    case_system.script = [500] * FAILURES
    server = procs.serve(env)
    procs.worker(env)
    procs.worker(env)  # two workers: order must not depend on there being only one
    for round_ in range(REPEATS):
        for n, citizen in enumerate(("citizen-a", "citizen-b")):
            response = server.post_app(report(n, "order", user=citizen), idem=f"order-{citizen}-{round_}")
            assert response.status_code == 201, response.text

    wait_for(lambda: all_delivered(engine, 2 * REPEATS), 60, "every event to be delivered after the failures",
             interval=0.3, diagnose=lambda: procs.logs() + "\n" + describe(engine))

    assert [e["_status"] for e in case_system.events[:FAILURES]] == [500] * FAILURES
    arrivals, accepted = defaultdict(list), defaultdict(list)
    for event in case_system.events:
        arrivals[event["case"]["id"]].append(event["sequence"])
    for event in case_system.accepted():
        accepted[event["case"]["id"]].append(event["sequence"])
    assert len(accepted) == 2, dict(accepted)  # the repeats joined their first report's case
    for case_id, sequences in accepted.items():
        assert sequences == list(range(1, REPEATS + 1)), (case_id, sequences)
        # Retries repeat a number; nothing later ever arrives before an earlier one was acknowledged.
        assert arrivals[case_id] == sorted(arrivals[case_id]), (case_id, arrivals[case_id])
    assert sum(e.attempts - 1 for e in outbox_rows(engine)) >= FAILURES  # the failures were really retried
