"""A batch whose dedupe keys another batch holds waits `[pipeline] lock_wait_ms`, then runs again: it neither
breaks its connection nor writes half, and its tickets are carried once the keys are free."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from gateway.dedupe_index import key_hash
from gateway.pipeline import process_batch
from gateway.tables import tickets
from normalizer.ticket import ticket_from_dict
from tests.harness.gateway import make_gateway


def _hold_keys(gateway, seconds: float) -> threading.Event:
    """Another transaction holds the first ready ticket's dedupe keys for `seconds`; set once they are held."""
    runtime = gateway.runtime
    with runtime.engine.connect() as conn:
        ticket = ticket_from_dict(conn.execute(select(tickets.c.data)).scalar())
    ticket.normalized = runtime.normalizer.normalize(ticket)
    fingerprint = runtime.deduper.analyse(ticket)[0]
    keys = sorted({key_hash(k) for k in runtime.deduper.blocking_keys(fingerprint)})
    held = threading.Event()

    def hold():
        with runtime.engine.begin() as conn:
            for number in keys:
                conn.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})
            held.set()
            time.sleep(seconds)

    threading.Thread(target=hold, daemon=True).start()
    assert held.wait(10)
    return held


@pytest.fixture
def pg_gateway(pg_database, tmp_path):
    from tests.conftest import _truncate
    _truncate(pg_database)
    gw = make_gateway(pg_database, tmp_path, profile={"pipeline": {"lock_wait_ms": 200}})
    yield gw
    gw.runtime.engine.dispose()


def test_a_batch_meeting_held_keys_runs_again_once_they_are_free(pg_gateway):
    reference = pg_gateway.post_app({"text": "洪山区珞喻路128号路灯坏了好几天"}).json["reference"]
    _hold_keys(pg_gateway, 0.5)   # shorter than the batch's three tries
    placed = process_batch(pg_gateway.runtime)
    assert len(placed) == 1
    assert pg_gateway.get(f"/api/v1/tickets/{reference}").json["status"] in ("in_case", "delivered")


def test_keys_held_through_every_try_leave_the_ticket_ready_and_the_store_usable(pg_gateway):
    reference = pg_gateway.post_app({"text": "洪山区珞喻路128号路灯坏了好几天"}).json["reference"]
    _hold_keys(pg_gateway, 3)
    with pytest.raises(OperationalError) as raised:
        process_batch(pg_gateway.runtime)
    assert raised.value.orig.sqlstate == "55P03"   # lock_not_available: a lock wait, not a lost connection
    assert pg_gateway.get(f"/api/v1/tickets/{reference}").json["status"] == "received"
    time.sleep(3)
    assert len(process_batch(pg_gateway.runtime)) == 1
