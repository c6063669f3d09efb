"""From submission to the case system: signed events, per-case order, retries, dead letters, replay."""
from __future__ import annotations

from sqlalchemy import select, update

from gateway.delivery import replay_dead
from gateway.tables import outbox
from tests.harness.gateway import make_gateway

REPORT = {"text": "青山区和平大道施工噪音每天到凌晨两点", "contact": {"user_id": "u-7", "phone": "13900001111"}}


def statuses(gw):
    with gw.runtime.engine.connect() as conn:
        return [r.status for r in conn.execute(select(outbox.c.status).order_by(outbox.c.case_id,
                                                                                outbox.c.sequence))]


def test_a_report_reaches_the_case_system_as_a_signed_case_opened(gateway, case_system):
    reference = gateway.post_app(REPORT).json["reference"]
    gateway.drain()
    [event] = case_system.accepted()
    assert case_system.rejected == []
    assert event["type"] == "case.opened" and event["sequence"] == 1
    assert event["_header_id"] == event["id"]
    assert event["report"]["reference"] == reference and event["report"]["text"] == REPORT["text"]
    assert event["case"]["reports"] == 1 and event["case"]["status"] == "open"
    ticket = gateway.get(f"/api/v1/tickets/{reference}").json
    assert ticket["status"] == "delivered"
    assert ticket["case"] == {"id": event["case"]["id"], "status": "open", "reports": 1, "merged_into": None}


def test_a_duplicate_joins_the_case_and_is_never_a_second_case_opened(gateway, case_system):
    first = gateway.post_app(REPORT).json["reference"]
    gateway.drain()
    second = gateway.post_app({**REPORT, "contact": {"user_id": "u-8"}}).json["reference"]  # another citizen
    other = gateway.post_app({"text": "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运"}).json["reference"]
    gateway.drain()
    events = case_system.accepted()
    assert [e["type"] for e in events] == ["case.opened", "case.report_added", "case.opened"]
    joined = events[1]
    assert joined["report"]["reference"] == second and joined["sequence"] == 2
    assert joined["case"]["id"] == events[0]["case"]["id"] and joined["case"]["reports"] == 2
    assert events[2]["report"]["reference"] == other
    both = [gateway.get(f"/api/v1/tickets/{r}").json["case"]["id"] for r in (first, second)]
    assert both[0] == both[1]


def test_case_system_down_for_a_while_then_events_arrive_in_order(gateway, case_system):
    case_system.script = [500, 503, 502, 500]
    for _ in range(3):
        gateway.post_app(REPORT)                      # one case: opened, then two report_added
    gateway.drain()
    accepted = case_system.accepted()
    assert [e["sequence"] for e in accepted] == [1, 2, 3]
    assert [e["type"] for e in accepted] == ["case.opened", "case.report_added", "case.report_added"]
    # The failed attempts were all for the first event: the later ones waited for it.
    failed = [e for e in case_system.events if e["_status"] >= 500]
    assert {e["sequence"] for e in failed} == {1}
    assert statuses(gateway) == ["delivered"] * 3


def test_permanent_refusal_is_dead_lettered_at_once_and_the_case_goes_on(gateway, case_system):
    case_system.script = [400]
    gateway.post_app(REPORT)
    gateway.post_app(REPORT)
    gateway.drain()
    assert [e["_status"] for e in case_system.events] == [400, 200]
    assert statuses(gateway) == ["dead", "delivered"]
    assert replay_dead(gateway.runtime) == 1
    gateway.drain()
    assert statuses(gateway) == ["delivered", "delivered"]
    assert [e["sequence"] for e in case_system.accepted()] == [2, 1]


def test_408_and_429_are_retried_not_dead(gateway, case_system):
    case_system.script = [408, 429]
    gateway.post_app(REPORT)
    gateway.drain()
    assert [e["_status"] for e in case_system.events] == [408, 429, 200]
    assert statuses(gateway) == ["delivered"]


def test_retries_stop_after_the_retry_budget(gateway, case_system):
    from gateway import jobs
    case_system.script = [500] * 3
    gateway.post_app(REPORT)
    gateway.drain()  # delivered after three failures: the budget is 24 hours, not a count
    assert statuses(gateway) == ["delivered"]
    # An event that has been failing for longer than the budget is parked in the dead letters.
    case_system.script = [500] * 100
    gateway.post_app({**REPORT, "text": "另一件事"})
    case_id = jobs.assign_case(2, runtime=gateway.runtime)
    with gateway.runtime.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.status == "pending").values(
            first_failed_at=gateway.runtime.clock().replace(year=2000)))
    jobs.deliver_case(case_id, runtime=gateway.runtime)
    assert statuses(gateway) == ["delivered", "dead"]


def test_without_a_case_system_events_wait_and_nothing_is_lost(database_url, tmp_path, case_system):
    quiet = make_gateway(database_url, tmp_path)          # no DOWNSTREAM_URL
    reference = quiet.post_app(REPORT).json["reference"]
    quiet.drain()
    assert statuses(quiet) == ["pending"] and case_system.events == []
    assert quiet.get(f"/api/v1/tickets/{reference}").json["status"] == "in_case"
    quiet.runtime.engine.dispose()
    wired = make_gateway(database_url, tmp_path, DOWNSTREAM_URL=case_system.url)
    wired.drain()                                       # nothing was put off: the event is due at once
    assert [e["report"]["reference"] for e in case_system.accepted()] == [reference]
    wired.runtime.engine.dispose()


def test_cases_api_shows_reports_and_evidence_to_operators_only(gateway):
    from tests.harness.gateway import OPERATOR_KEY
    gateway.post_app(REPORT)
    gateway.post_app(REPORT)
    gateway.drain()
    assert gateway.get("/api/v1/cases/1").status_code == 403
    case = gateway.get("/api/v1/cases/1", OPERATOR_KEY).json
    assert case["reports"] == 2 and len(case["report_list"]) == 2
    assert [d["action"] for d in case["decisions"]] == ["opened", "joined"]
    assert case["decisions"][1]["evidence"]["rule"] == "similar report"
    assert case["decisions"][1]["score"] >= case["decisions"][1]["evidence"]["threshold"]
    assert gateway.get("/api/v1/cases/999", OPERATOR_KEY).status_code == 404


def test_an_emergency_is_told_to_call_now_and_goes_first(gateway, case_system):
    calm = gateway.post_app({"text": "小区绿化带杂草很久没人修剪"})
    assert calm.json["emergency"] is False and "119" not in calm.json["message"]
    fire = gateway.post_app({"text": "我家楼下饭店厨房着火了，烟很大"})
    assert fire.status_code == 201 and fire.json["emergency"] is True
    assert "119" in fire.json["advice"] and fire.json["reference"] in fire.json["message"]
    not_fire = gateway.post_app({"text": "上次说的着火隐患已经处理，现在没有着火"})
    assert not_fire.json["emergency"] is False
    gateway.drain()
    first = case_system.accepted()[0]
    assert first["report"]["reference"] == fire.json["reference"]        # urgent work is done first
    assert first["case"]["priority"] == "urgent"
