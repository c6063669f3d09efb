"""Ratings on every channel reach the case system once, as `case.rated`; a report is rated once, when answered."""
from __future__ import annotations

from datetime import timedelta

from tests.feedback.conftest import sms_texts
from tests.harness.gateway import CLIENT_KEY
from tests.sms.simulator import CALLER

OPENID = "oRatingFollower00000000000001"


def _rate(rig, reference: str, rating, comment=None, key: str = CLIENT_KEY):
    return rig.gw.client.post(f"/api/v1/tickets/{reference}/rating", json={"rating": rating, "comment": comment},
                              headers={"Authorization": f"Bearer {key}"})


def _rated(rig) -> list[dict]:
    return [e for e in rig.case_system.accepted() if e["type"] == "case.rated"]


def test_app_rating_once_per_report_after_the_case_is_resolved(rig):
    ref = rig.app_report("江岸区黄浦大街路面积水严重", "u-5005")
    rig.drain()
    case_id = rig.ticket(ref).case_id
    refused = _rate(rig, ref, 1)
    assert refused.status_code == 409 and refused.get_json()["error"] == "case_not_resolved"

    rig.update(case_id, "resolved", message="已疏通排水管道")
    rig.drain()
    first = _rate(rig, ref, 3, "积水还在")
    assert first.status_code == 201 and first.get_json()["rating"] == 3
    again = _rate(rig, ref, 3)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    other = _rate(rig, ref, 1)
    assert other.status_code == 409 and other.get_json()["error"] == "already_rated"
    rig.drain()

    (event,) = _rated(rig)
    assert event["report"]["reference"] == ref and event["case"]["id"] == case_id
    assert event["rating"] == 3 and event["comment"] == "积水还在" and event["channel"] == "app"
    assert event["reopen_requested"] is True


def test_bad_rating_requests_are_clear_4xx(sqlite_rig):
    rig = sqlite_rig
    ref = rig.app_report("江岸区黄浦大街路面积水", "u-5006")
    rig.drain()
    for body in ({"rating": 4}, {"rating": "1"}, {"rating": True}, {}, {"rating": 1, "extra": 1}):
        response = rig.gw.client.post(f"/api/v1/tickets/{ref}/rating", json=body,
                                      headers={"Authorization": f"Bearer {CLIENT_KEY}"})
        assert response.status_code == 422, body       # the house answer to a body that fails its schema
        assert response.get_json()["error"]
    assert _rate(rig, "ZZZZZ-ZZZZZ", 1).status_code == 404
    assert rig.gw.client.post(f"/api/v1/tickets/{ref}/rating", json={"rating": 1}).status_code == 401
    bad_json = rig.gw.client.post(f"/api/v1/tickets/{ref}/rating", data=b"{not json",
                                  headers={"Authorization": f"Bearer {CLIENT_KEY}",
                                           "Content-Type": "application/json"})
    assert bad_json.status_code == 400


def test_sms_and_wechat_ratings_answer_the_closing_notice(rig):
    sms_ref = rig.twilio.text("汉阳区龙阳大道垃圾堆放无人清理", sender=CALLER).reference
    wx_reply = rig.wechat_text(OPENID, "汉阳区龙阳大道垃圾没人清理")
    wx_ref = wx_reply.content.split("编号 ")[1][:11]
    rig.drain()
    case_id = rig.merge_all([sms_ref, wx_ref])
    rig.drain()

    early = rig.twilio.text("1")
    assert "暂时没有待评价" in early.message          # not answered yet: nothing to rate
    rig.update(case_id, "closed", message="已清运")
    rig.drain()
    assert "1 满意" in [body for to, body in sms_texts(rig) if to == CALLER][0]
    assert "1 满意" in rig.wechat_api.sent[0]["text"]["content"]

    assert "满意" in rig.twilio.text("2").message
    assert "不满意" in rig.wechat_text(OPENID, "3，还有异味").content
    rig.twilio.text("1")                                # nothing left to rate for this number
    rig.drain()
    events = {e["report"]["reference"]: e for e in _rated(rig)}
    assert set(events) == {sms_ref, wx_ref}
    assert (events[sms_ref]["rating"], events[sms_ref]["channel"], events[sms_ref]["reopen_requested"]) == \
        (2, "sms", False)
    assert (events[wx_ref]["rating"], events[wx_ref]["channel"], events[wx_ref]["comment"],
            events[wx_ref]["reopen_requested"]) == (3, "wechat", "还有异味", True)


def test_progress_and_the_query_answer_show_status_unit_and_reply(rig):
    ref = rig.twilio.text("东西湖区金银湖路边摊占道经营", sender=CALLER).reference
    rig.drain()
    case_id = rig.ticket(ref).case_id
    first = rig.clock() - timedelta(hours=3)      # the case system's own times; never ahead of the gateway's
    rig.update(case_id, "accepted", unit=None, at=first)
    rig.update(case_id, "assigned", unit="东西湖区城管执法局", at=first + timedelta(minutes=5))
    older = rig.update(case_id, "accepted", unit="旧单位", at=first - timedelta(minutes=30))
    assert older.get_json()["applied"] is False
    rig.update(case_id, "resolved", unit="东西湖区城管执法局", message="已劝离并清理占道摊点",
               at=first + timedelta(hours=2))
    view = rig.gw.get(f"/api/v1/tickets/{ref}").get_json()            # the app's client key
    assert [(p["status"], p["unit"], p["message"]) for p in view["progress"]] == [
        ("accepted", None, None), ("assigned", "东西湖区城管执法局", None),
        ("resolved", "东西湖区城管执法局", "已劝离并清理占道摊点")]
    answer = rig.twilio.text(f"查询 {ref}").message
    assert ref in answer and "东西湖区城管执法局" in answer and "已劝离并清理占道摊点" in answer


def test_console_lists_notices_and_an_operator_records_a_callers_rating(rig):
    from gateway.operators import add_operator
    from tests.console.conftest import PASSWORD, signed_in
    add_operator(rig.runtime.engine, "wang", "operator", PASSWORD)
    add_operator(rig.runtime.engine, "li", "supervisor", PASSWORD)
    ref = rig.hotline_call("江汉区某小区垃圾站异味严重", "027-85551234")
    rig.drain()
    case_id = rig.ticket(ref).case_id
    rig.update(case_id, "resolved", message="已清洗垃圾站")
    rig.drain()
    console = signed_in(rig.gw, "wang")
    page = console.get("/console/notices").get_data(as_text=True)
    assert "待回电" in page and ref in page and "+862785551234" in page
    case_page = console.get(f"/console/cases/{case_id}").get_data(as_text=True)
    assert "人工回电" in case_page and "已清洗垃圾站" in case_page
    (notice,) = rig.notices()
    assert console.post(f"/console/notices/{notice.id}/called").status_code == 302
    assert rig.notices()[0].state == "done"

    console.get(f"/console/cases/{case_id}")
    assert console.post(f"/console/cases/{case_id}/rating",
                        {"reference": ref, "rating": "1", "comment": "电话回访满意"}).status_code == 302
    console.get(f"/console/cases/{case_id}")
    console.post(f"/console/cases/{case_id}/rating", {"reference": ref, "rating": "3"})   # refused: rated once
    rig.drain()
    (event,) = _rated(rig)
    assert (event["rating"], event["channel"], event["rated_by"], event["comment"]) == (1, "console", "wang",
                                                                                        "电话回访满意")
    assert console.get("/console/overdue").status_code == 403          # supervisors' list
    lead = signed_in(rig.gw, "li")
    assert "超期督办" in lead.get("/console/overdue").get_data(as_text=True)
