"""分级督办: a case not answered by its due date gets case.overdue levels 1-3 at 0, 3 and 7 official working days
past it; the 2025 National Day holiday (Oct 1-8, with Sep 28 and Oct 11 worked) counts as no working day."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from gateway.embedded import run_pending
from gateway.supervision import escalation_work, overdue_cases
from gateway.jobs import JOB_FUNCTIONS
from tests.harness.gateway import PARTNER_SECRET, SUPERVISOR_KEY

ZONE = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


@contextmanager
def clock_at(gateway, now: datetime):
    """The gateway's clock frozen at `now` (outbox events still carry real time, so they are delivered later)."""
    real = gateway.runtime.clock
    gateway.runtime.clock = lambda: now.astimezone(timezone.utc)
    try:
        yield
    finally:
        gateway.runtime.clock = real


def _partner_report(gateway, text: str, received_at: str) -> str:
    """A partner platform's report, sent when it was received (the gateway's clock set to then)."""
    when = datetime.fromisoformat(received_at)
    with clock_at(gateway, when):
        response = gateway.post_signed("/channels/webhook/110", {"text": text, "received_at": received_at},
                                       secret=PARTNER_SECRET, now=when.timestamp())
    assert response.status_code == 201, response.get_json()
    return response.get_json()["reference"]


def _escalate(gateway, now: datetime) -> list[int]:
    """Run the supervision sweep as the worker would at `now`; returns the levels told."""
    with clock_at(gateway, now):
        return [level for job, case_id, _ in escalation_work(gateway.runtime)
                if (level := JOB_FUNCTIONS[job](case_id, runtime=gateway.runtime))]


def _pipeline(gateway, now: datetime) -> None:
    """Run the pipeline at `now` (the reports are normalized and in cases; their events wait for real time)."""
    with clock_at(gateway, now):
        run_pending(gateway.runtime)


def _overdue_events(case_system) -> list[dict]:
    return [e for e in case_system.accepted() if e["type"] == "case.overdue"]


def _case_of(gateway, reference: str) -> dict:
    return gateway.get(f"/api/v1/tickets/{reference}").get_json()["case"]


def test_levels_one_to_three_on_the_official_calendar(gateway, case_system):
    # Received Wed 2025-09-24 10:00; 4 working days to reply (Sep 25, 26, 28 (a Sunday worked), 29): due Sep 29.
    gateway.runtime.normalizer.working_days = 4
    ref = _partner_report(gateway, "江岸区某小区电梯停运多日无人维修", "2025-09-24T10:00:00+08:00")
    _pipeline(gateway, at("2025-09-24T10:05:00"))
    case = gateway.get(f"/api/v1/tickets/{ref}").get_json()["case"]

    assert _escalate(gateway, at("2025-09-29T09:59:00")) == []
    assert _escalate(gateway, at("2025-09-29T10:00:00")) == [1]
    assert _escalate(gateway, at("2025-09-30T12:00:00")) == []
    # Mon-Fri counting would make Oct 2 the third working day; the holiday runs to Oct 8: Sep 30, Oct 9, Oct 10.
    assert _escalate(gateway, at("2025-10-02T10:00:00")) == []
    assert _escalate(gateway, at("2025-10-09T10:00:00")) == []
    assert _escalate(gateway, at("2025-10-10T10:00:00")) == [2]
    # Level 3 at 7 working days: Sep 30, Oct 9, 10, 11 (a Saturday worked), 13, 14, 15.
    assert _escalate(gateway, at("2025-10-14T10:00:00")) == []
    assert _escalate(gateway, at("2025-10-15T10:00:00")) == [3]
    assert _escalate(gateway, at("2025-12-31T10:00:00")) == []

    listed = overdue_cases(gateway.runtime)
    assert [(c["id"], c["level"]) for c in listed] == [(case["id"], 3)]
    run_pending(gateway.runtime)
    opened = [e for e in case_system.accepted() if e["type"] == "case.opened"][0]
    assert datetime.fromisoformat(opened["case"]["due_at"]) == at("2025-09-29T10:00:00")
    events = _overdue_events(case_system)
    assert [e["overdue"]["level"] for e in events] == [1, 2, 3]
    assert all(datetime.fromisoformat(e["overdue"]["due_at"]) == at("2025-09-29T10:00:00") for e in events)
    assert 'gateway_overdue_cases{level="3"} 1.0' in gateway.client.get("/metrics").get_data(as_text=True)


def test_a_resolved_case_is_not_escalated_and_a_late_start_tells_the_highest_level_once(gateway, case_system):
    gateway.runtime.normalizer.working_days = 4
    answered = _partner_report(gateway, "硚口区某路段井盖缺失", "2025-09-24T10:00:00+08:00")
    forgotten = _partner_report(gateway, "青山区某工地夜间施工扰民严重", "2025-09-24T11:00:00+08:00")
    _pipeline(gateway, at("2025-09-24T12:00:00"))
    answered_case = _case_of(gateway, answered)["id"]
    assert answered_case != _case_of(gateway, forgotten)["id"]
    from tests.harness.gateway import DOWNSTREAM_SECRET
    body = {"case_id": answered_case, "status": "resolved", "message": "已补装", "unit": "硚口区城管局",
            "updated_at": "2025-09-26T10:00:00+08:00"}
    assert gateway.post_signed("/api/v1/case-updates", body, secret=DOWNSTREAM_SECRET).status_code == 200
    assert _escalate(gateway, at("2025-12-01T12:00:00")) == [3]      # only the forgotten one, at its highest level
    run_pending(gateway.runtime)
    (event,) = _overdue_events(case_system)
    assert event["case"]["id"] == _case_of(gateway, forgotten)["id"] and event["overdue"]["level"] == 3


def test_due_date_and_level_follow_the_reports_after_unmerge_and_merge(gateway, case_system):
    gateway.runtime.normalizer.working_days = 4
    early = _partner_report(gateway, "武昌区某路口红绿灯故障", "2025-09-24T10:00:00+08:00")    # due Sep 29
    late = _partner_report(gateway, "汉阳区某公园路灯损坏", "2025-09-26T10:00:00+08:00")      # due Oct 9
    _pipeline(gateway, at("2025-09-26T12:00:00"))
    early_case, late_case = _case_of(gateway, early)["id"], _case_of(gateway, late)["id"]
    supervisor = {"Authorization": f"Bearer {SUPERVISOR_KEY}"}
    with clock_at(gateway, at("2025-09-30T12:00:00")):
        assert gateway.client.post(f"/api/v1/cases/{late_case}/merge", json={"case_id": early_case},
                                   headers=supervisor).status_code == 200
    # The merged case is due when its earliest report is: Sep 29, so it is overdue at level 1 on Sep 30.
    assert _escalate(gateway, at("2025-09-30T12:00:00")) == [1]
    with clock_at(gateway, at("2025-09-30T12:05:00")):
        response = gateway.client.post(f"/api/v1/cases/{late_case}/unmerge", json={"reference": early},
                                       headers=supervisor)
    new_case = response.get_json()["new_case_id"]
    # The early report's new case is due Sep 29 and overdue but not yet told; the late report's case is now due
    # Oct 9 and no longer overdue.
    assert overdue_cases(gateway.runtime) == []
    assert _escalate(gateway, at("2025-09-30T12:10:00")) == [1]
    assert {c["id"]: c["level"] for c in overdue_cases(gateway.runtime)} == {new_case: 1}
    # Oct 9: the late case reaches its own due date (level 1 again, against its new date).
    assert _escalate(gateway, at("2025-10-09T10:00:00")) == [1]
    run_pending(gateway.runtime)      # today, long after: both cases are at level 3, each told it once
    told: dict[int, list[int]] = {}
    for event in _overdue_events(case_system):
        told.setdefault(event["case"]["id"], []).append(event["overdue"]["level"])
    assert told == {late_case: [1, 1, 3], new_case: [1, 3]}


def test_a_case_opened_already_past_its_due_date_is_told_only_the_levels_it_reaches_later(gateway, case_system):
    # An imported call from long ago: its case.opened carries the due date; no burst of escalations follows.
    gateway.runtime.normalizer.working_days = 4
    ref = _partner_report(gateway, "江夏区某村道路破损", "2025-09-24T10:00:00+08:00")
    _pipeline(gateway, at("2025-10-10T12:00:00"))                   # level 2 already reached when it arrives
    assert _escalate(gateway, at("2025-10-14T12:00:00")) == []
    assert _escalate(gateway, at("2025-10-15T10:00:00")) == [3]
    run_pending(gateway.runtime)
    assert [e["overdue"]["level"] for e in _overdue_events(case_system)] == [3]
    assert _case_of(gateway, ref)["status"] == "open"


def test_a_joining_report_with_an_earlier_deadline_brings_the_case_due_date_forward(gateway, case_system):
    gateway.runtime.normalizer.working_days = 4
    text = "汉口火车站东广场出租车上客点长期有人拉客宰客，请尽快整治"
    later = _partner_report(gateway, text, "2025-09-26T10:00:00+08:00")                 # due Oct 9
    _pipeline(gateway, at("2025-09-26T10:05:00"))
    earlier = _partner_report(gateway, text, "2025-09-24T10:00:00+08:00")               # due Sep 29, sent late
    _pipeline(gateway, at("2025-09-26T10:10:00"))
    case_id = _case_of(gateway, later)["id"]
    assert _case_of(gateway, earlier)["id"] == case_id                                   # dedupe joined them
    assert _escalate(gateway, at("2025-09-30T12:00:00")) == [1]                          # the earlier deadline counts
    run_pending(gateway.runtime)
    added = [e for e in case_system.accepted() if e["type"] == "case.report_added"]
    assert datetime.fromisoformat(added[0]["case"]["due_at"]) == at("2025-09-29T10:00:00")
