"""The issue's target: a burst of 200 reports of one incident makes one case, and `case.hot` for levels 5, 20 and
100 each reaches the case system within 5 s of the acknowledgement of the report that crossed it."""
from __future__ import annotations

import time

from gateway.embedded import EmbeddedWorker
from tests.harness.gateway import OPERATOR_KEY

# One wording: this test is about counting and telling, not about dedupe's judgement of paraphrases.
BURST = "青山区和平大道与建设二路路口自来水管爆裂，水漫到路面上了"
LATENCY_SECONDS = 5.0


def test_burst_of_200_reports_one_case_and_each_level_within_5_seconds(gateway, case_system):
    worker = EmbeddedWorker(gateway.runtime, interval=0.2)
    worker.start()
    acked: list[tuple[str, float]] = []
    try:
        for i in range(200):
            answer = gateway.post_app({"text": BURST, "contact": {"user_id": f"u-{i}"}})
            assert answer.status_code == 201
            acked.append((answer.json["reference"], time.time()))
            # 10 a second: 30 times the target's pace (200 in 10 minutes), still many phones rather than one loop.
            time.sleep(0.1)
        deadline = time.time() + 60
        while time.time() < deadline and len([e for e in case_system.accepted() if e["type"] == "case.hot"]) < 3:
            time.sleep(0.1)
    finally:
        worker.stop()
    gateway.drain()
    cases = {gateway.get(f"/api/v1/tickets/{ref}").json["case"]["id"] for ref, _ in acked}
    assert len(cases) == 1
    (case_id,) = cases
    hot_events = [e for e in case_system.accepted() if e["type"] == "case.hot"]
    assert [e["hot"]["level"] for e in hot_events] == [5, 20, 100]
    assert all(e["case"]["id"] == case_id for e in hot_events)
    for event in hot_events:
        level = event["hot"]["level"]
        # The report that crossed the level is the level-th report of the case, in the order the gateway took them.
        crossed_at = acked[level - 1][1]
        assert event["hot"]["reports_in_window"] >= level
        print(f"level {level}: at the case system {event['_at'] - crossed_at:.2f} s after the crossing ack")
        assert event["_at"] - crossed_at <= LATENCY_SECONDS, (level, event["_at"] - crossed_at)
    top = gateway.get("/api/v1/hot?window=1h", OPERATOR_KEY).json["cases"][0]
    assert top["case_id"] == case_id and top["reports_in_window"] == 200
