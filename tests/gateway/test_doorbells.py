"""The doorbells: an acknowledgement asks for a ring and returns; rings asked for meanwhile go as one."""
from __future__ import annotations

import threading
import time

from gateway.queue import Doorbells


def test_every_stage_asked_for_is_rung_and_rings_asked_for_meanwhile_go_as_one():
    rung: list[str] = []
    first_sent, let_go = threading.Event(), threading.Event()

    def ring(stage: str) -> None:
        rung.append(stage)
        first_sent.set()
        let_go.wait(5)  # Redis slow to answer the first ring

    bells = Doorbells(ring, interval=0)
    bells.ring_soon("tickets")          # returns at once, whatever Redis does
    assert first_sent.wait(5)
    for _ in range(100):                # a hundred acknowledgements while the first ring is under way
        bells.ring_soon("tickets")
    bells.ring_soon("deliveries")
    let_go.set()
    deadline = time.monotonic() + 5
    while len(rung) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert rung == ["tickets", "deliveries", "tickets"]


def test_a_ring_that_fails_does_not_stop_the_next():
    rung: list[str] = []

    def ring(stage: str) -> bool:
        rung.append(stage)
        return False  # RedisQueue.wake logs a Redis away and answers False

    bells = Doorbells(ring, interval=0)
    bells.ring_soon("tickets")
    deadline = time.monotonic() + 5
    while not rung and time.monotonic() < deadline:
        time.sleep(0.01)
    bells.ring_soon("tickets")
    while len(rung) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert rung == ["tickets", "tickets"]
