"""Delivery across cases at once: a bounded pool of senders, each case's events still one after the other."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta

from sqlalchemy import insert, select

from gateway.delivery import Dispatcher
from gateway.tables import cases, outbox


def _events(runtime, n_cases: int, per_case: int, due_in: timedelta = timedelta(0)) -> list[int]:
    now = runtime.clock()
    with runtime.engine.begin() as conn:
        ids = conn.execute(insert(cases).returning(cases.c.id, sort_by_parameter_order=True), [
            {"status": "open", "priority": "normal", "next_sequence": per_case + 1, "opened_at": now,
             "updated_at": now} for _ in range(n_cases)]).scalars().all()
        rows = []
        for c in ids:
            for s in range(1, per_case + 1):
                event_id = str(uuid.uuid4())
                rows.append({"id": event_id, "case_id": c, "sequence": s, "type": "case.report_added", "priority": 0,
                             "status": "pending", "attempts": 0, "next_attempt_at": now + due_in, "created_at": now,
                             "body": json.dumps({"id": event_id, "case": {"id": c}, "sequence": s})})
        conn.execute(insert(outbox), rows)
    return ids


def test_cases_are_sent_side_by_side_and_each_case_in_sequence(gateway, case_system):
    in_flight, peak, lock = 0, 0, threading.Lock()
    handle = case_system._handle

    def counting(handler, body):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            handle(handler, body)
        finally:
            with lock:
                in_flight -= 1

    case_system._handle = counting
    case_system.delay = 0.05
    _events(gateway.runtime, 6, 4)
    dispatcher = Dispatcher(gateway.runtime, concurrency=4)
    try:
        assert dispatcher.drain() == 24
    finally:
        dispatcher.close()
    assert peak == 4                      # bounded by the pool, and the pool was used
    by_case: dict[int, list[int]] = {}
    for event in case_system.accepted():
        by_case.setdefault(event["case"]["id"], []).append(event["sequence"])
    assert sorted(by_case.values()) == [[1, 2, 3, 4]] * 6


def test_events_put_off_while_no_case_system_was_set_go_out_at_once_when_one_is(gateway, case_system):
    # An older version postponed waiting events by 30 s at a time; they must not trickle out in bursts.
    _events(gateway.runtime, 5, 2, due_in=timedelta(seconds=30))
    dispatcher = Dispatcher(gateway.runtime)
    try:
        assert dispatcher.drain() == 10
    finally:
        dispatcher.close()
    with gateway.runtime.engine.connect() as conn:
        assert set(conn.execute(select(outbox.c.status)).scalars()) == {"delivered"}
