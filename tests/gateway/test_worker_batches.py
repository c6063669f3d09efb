"""A worker whose batches keep failing whole tries smaller ones, so an overloaded store still gets them through."""
from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from gateway import worker
from gateway.pipeline import process_batch
from gateway.tables import tickets


def test_a_batch_past_the_store_deadline_is_tried_again_smaller_until_the_backlog_is_through(gateway, monkeypatch):
    for n in range(12):
        assert gateway.post_app({"text": f"第{n}号楼电梯坏了三天没人修，老人上不了楼"}).status_code == 201
    asked: list[int] = []

    def overloaded(runtime, limit=None, ids=None):
        # As on the machine at load 12: a statement for more than three tickets outlives the store's deadline.
        asked.append(limit)
        if limit > 3:
            raise OperationalError("SELECT …", {}, Exception("server closed the connection unexpectedly"))
        return process_batch(runtime, limit, ids)

    monkeypatch.setattr(worker, "process_batch", overloaded)
    monkeypatch.setattr(worker, "IDLE_SECONDS", 0.01)
    stop = threading.Event()
    thread = threading.Thread(target=worker._tickets_forever, args=(gateway.runtime, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with gateway.runtime.engine.connect() as conn:
                left = conn.execute(select(func.count()).select_from(tickets)
                                    .where(tickets.c.case_id.is_(None))).scalar()
            if not left:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert left == 0
    # The full batch first, then halved after each failure; a success doubles it (and fails again, halved back).
    assert asked[:6] == [100, 50, 25, 12, 6, 3]
    assert max(asked[6:]) <= 6
