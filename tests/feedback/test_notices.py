"""Every citizen of a case hears of its updates on their own channel, once, naming their own references."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import update

from gateway.tables import notices
from tests.feedback.conftest import build_rig, quiet_window_around, sms_texts
from tests.harness.gateway import OPERATOR_KEY
from tests.sms.simulator import CALLER

OPENID = "oFeedbackFollower000000000001"
HOTLINE_MOBILE = "13912345678"
HOTLINE_LANDLINE = "027-85551234"


def _merged_case(rig):
    """A case with a WeChat follower, an SMS sender (two reports), an app user who typed the SMS sender's number as
    contact (an unverified link), a hotline caller on a mobile and one on a landline."""
    refs = {}
    refs["wechat"] = rig.wechat_text(OPENID, "江汉路步行街路灯坏了一排，晚上很黑").content.split("编号 ")[1][:11]
    refs["sms"] = rig.twilio.text("江汉路步行街的路灯不亮已经三天了", sender=CALLER).reference
    refs["sms2"] = rig.twilio.text("新问题 江汉路步行街路灯杆倾斜", sender=CALLER).reference
    refs["app"] = rig.app_report("江汉路步行街路灯全部不亮", "u-1001", phone=CALLER)
    refs["mobile"] = rig.hotline_call("江汉路步行街路灯坏了", HOTLINE_MOBILE)
    refs["landline"] = rig.hotline_call("江汉路步行街路灯晚上不亮", HOTLINE_LANDLINE)
    rig.drain()
    case_id = rig.merge_all(list(refs.values()))
    rig.drain()
    return case_id, refs


def test_each_citizen_of_a_merged_case_hears_once_naming_their_own_references(rig):
    case_id, refs = _merged_case(rig)
    at = rig.clock()
    assert rig.update(case_id, "accepted", event_id="upd-accepted-1", at=at).status_code == 200
    rig.drain()

    # WeChat: one customer-service message to the follower, naming only their reference.
    assert [m["touser"] for m in rig.wechat_api.sent] == [OPENID]
    wechat_text = rig.wechat_api.sent[0]["text"]["content"]
    assert refs["wechat"] in wechat_text and refs["sms"] not in wechat_text and "江汉区城管局" in wechat_text
    # SMS: the sender gets one text naming both their reports (Twilio, the provider they wrote to); the app user's
    # claimed phone adds no recipient and the app's reference is in no text.
    texts = sms_texts(rig)
    to_sender = [body for to, body in texts if to == CALLER]
    assert len(to_sender) == 1
    assert refs["sms"] in to_sender[0] and refs["sms2"] in to_sender[0] and refs["app"] not in to_sender[0]
    # Hotline on a mobile: one text naming the call's reference.
    to_mobile = [body for to, body in texts if to == "+86" + HOTLINE_MOBILE]
    assert len(to_mobile) == 1 and refs["mobile"] in to_mobile[0]
    assert len(texts) == 2
    # App: one signed citizen.notice for the user, with the contract's fields.
    (notice,) = rig.app_notices()
    assert notice["reference"] == refs["app"] and notice["user_id"] == "u-1001"
    assert notice["status"] == "accepted" and notice["unit"] == "江汉区城管局" and "message" in notice
    # Landline: listed for an operator's call-back, not sent anywhere.
    callbacks = [n for n in rig.notices() if n.route == "callback"]
    assert [n.refs for n in callbacks] == [[refs["landline"]]] and callbacks[0].state == "callback"

    # The same update again (the case system retries) and more sweeping: nobody hears twice.
    assert rig.update(case_id, "accepted", event_id="upd-accepted-1", at=at).status_code == 200
    rig.drain()
    assert len(rig.wechat_api.sent) == 1 and len(sms_texts(rig)) == 2 and len(rig.app_notices()) == 1


def test_statuses_not_named_in_the_profile_are_not_told_and_closing_asks_for_a_rating(rig):
    case_id, refs = _merged_case(rig)
    rig.update(case_id, "assigned", event_id="upd-assigned")
    rig.drain()
    assert rig.notices() == [] and rig.wechat_api.sent == []
    rig.clock.advance(60)
    rig.update(case_id, "resolved", message="已更换路灯灯泡12盏", event_id="upd-resolved")
    rig.drain()
    text = rig.wechat_api.sent[0]["text"]["content"]
    assert "已更换路灯灯泡12盏" in text and "1 满意" in text and "3 不满意" in text
    rig.clock.advance(60)
    rig.update(case_id, "closed", message="已办结", event_id="upd-closed")
    rig.drain()
    assert len(rig.wechat_api.sent) == 2
    assert "1 满意" not in rig.wechat_api.sent[1]["text"]["content"]   # asked once, when it was resolved


def test_operator_marks_a_call_back_done(rig):
    case_id, refs = _merged_case(rig)
    rig.update(case_id, "accepted")
    rig.drain()
    (callback,) = [n for n in rig.notices() if n.route == "callback"]
    from gateway.notices import mark_called_back
    assert mark_called_back(rig.runtime, callback.id, "张三")
    assert not mark_called_back(rig.runtime, callback.id, "张三")   # done once
    (done,) = [n for n in rig.notices() if n.route == "callback"]
    assert done.state == "done" and "张三" in done.outcome


def test_a_failing_app_backend_is_retried_then_parked_and_replayed_once(rig):
    ref = rig.app_report("江岸区沿江大道人行道地砖松动", "u-2002")
    rig.drain()
    case_id = rig.ticket(ref).case_id
    rig.app_backend.script = [500, 503]           # down twice, then up
    rig.update(case_id, "accepted")
    rig.drain()
    (sent,) = rig.app_notices()
    assert sent["reference"] == ref
    assert [e["_status"] for e in rig.app_backend.events] == [500, 503, 200]
    assert len({e["_header_id"] for e in rig.app_backend.events}) == 1   # the same event id on every attempt

    rig.app_backend.script = [500, 500, 500]       # the whole budget (3 attempts in this rig)
    rig.clock.advance(60)
    rig.update(case_id, "resolved", message="已修复")
    rig.drain()
    parked = [n for n in rig.notices() if n.state == "parked"]
    assert len(parked) == 1 and parked[0].attempts == 3 and "HTTP 500" in parked[0].last_error
    assert len(rig.app_notices()) == 1

    from gateway.notices import replay_parked
    assert replay_parked(rig.runtime) == 1
    rig.drain()
    assert [n["status"] for n in rig.app_notices()] == ["accepted", "resolved"]
    assert replay_parked(rig.runtime) == 0


def test_a_refusing_app_backend_parks_the_notice_at_once(rig):
    ref = rig.app_report("硚口区宝丰路井盖缺失", "u-3003")
    rig.drain()
    rig.app_backend.script = [400]
    rig.update(rig.ticket(ref).case_id, "accepted")
    rig.drain()
    (notice,) = rig.notices()
    assert notice.state == "parked" and notice.attempts == 1 and rig.app_notices() == []


def test_sms_that_fails_at_the_provider_is_retried_by_the_outbox(rig):
    ref = rig.twilio.text("武昌区中山路下水道堵塞").reference
    rig.drain()
    rig.twilio_api.script = [500]
    rig.update(rig.ticket(ref).case_id, "accepted")
    rig.drain()
    assert rig.twilio_api.attempts == 2 and len(rig.twilio_api.sent) == 1 and ref in rig.twilio_api.sent[0]["Body"]


def test_quiet_hours_hold_sms_and_wechat_until_they_end(database_url, tmp_path, case_system, app_backend, apis):
    from datetime import datetime, timezone
    window, ends = quiet_window_around(datetime.now(timezone.utc))
    rig = build_rig(database_url, tmp_path, case_system, app_backend, apis, profile={"notify": {"quiet_hours": window}})
    try:
        sms_ref = rig.twilio.text("洪山区珞喻路施工噪音扰民").reference
        wx_ref = rig.wechat_text(OPENID, "洪山区珞喻路夜间施工噪音").content.split("编号 ")[1][:11]
        app_ref = rig.app_report("洪山区珞喻路夜里施工太吵", "u-4004")
        rig.drain()
        case_id = rig.merge_all([sms_ref, wx_ref, app_ref])
        rig.drain()
        rig.clock.freeze()
        rig.clock.frozen = ends - timedelta(seconds=90)
        rig.update(case_id, "accepted")
        rig.drain()
        assert rig.twilio_api.sent == [] and rig.wechat_api.sent == []
        assert len(rig.app_notices()) == 1                         # a machine: not held back
        held = [n for n in rig.notices() if n.route in ("sms", "wechat")]
        assert {n.state for n in held} == {"pending"} and all("免打扰" in n.outcome for n in held)
        assert all(n.next_attempt_at == ends for n in held)

        rig.clock.frozen = ends - timedelta(seconds=1)
        rig.drain()
        assert rig.twilio_api.sent == [] and rig.wechat_api.sent == []
        rig.clock.frozen = ends
        rig.drain()
        assert len(rig.twilio_api.sent) == 1 and len(rig.wechat_api.sent) == 1
    finally:
        rig.runtime.engine.dispose()


def test_urgent_cases_are_told_in_quiet_hours(database_url, tmp_path, case_system, app_backend, apis):
    from datetime import datetime, timezone
    window, _ends = quiet_window_around(datetime.now(timezone.utc), after_minutes=10)
    rig = build_rig(database_url, tmp_path, case_system, app_backend, apis, profile={"notify": {"quiet_hours": window}})
    try:
        ref = rig.twilio.text("江汉区新华路有煤气泄漏味道很大").reference
        rig.drain()
        case_id = rig.ticket(ref).case_id
        with rig.runtime.engine.begin() as conn:
            from gateway.tables import cases
            conn.execute(update(cases).where(cases.c.id == case_id).values(priority="urgent"))
        rig.update(case_id, "accepted")
        rig.drain()
        assert len(rig.twilio_api.sent) == 1
    finally:
        rig.runtime.engine.dispose()


def _last_wrote_hours_ago(rig, openid: str, hours: float) -> None:
    from gateway.tables import conversations, wechat_users
    then = rig.clock() - timedelta(hours=hours)
    with rig.runtime.engine.begin() as conn:
        conn.execute(update(wechat_users).where(wechat_users.c.openid == openid).values(last_message_at=then))
        conn.execute(update(conversations).where(conversations.c.citizen == f"wechat:{openid}")
                     .values(last_message_at=then))


def test_wechat_past_48_hours_waits_for_the_next_message(rig):
    ref = rig.wechat_text(OPENID, "汉阳区钟家村公交站台破损").content.split("编号 ")[1][:11]
    rig.drain()
    _last_wrote_hours_ago(rig, OPENID, 49)
    rig.update(rig.ticket(ref).case_id, "accepted")
    rig.drain()
    (notice,) = rig.notices()
    assert notice.state == "waiting" and rig.wechat_api.sent == []

    rig.wechat_text(OPENID, "查询")                        # the follower writes again: the window reopens
    rig.drain()
    assert [m["touser"] for m in rig.wechat_api.sent] == [OPENID] and ref in rig.wechat_api.sent[0]["text"]["content"]


def test_wechat_past_48_hours_uses_the_template_message_when_configured(database_url, tmp_path, case_system,
                                                                       app_backend, apis):
    rig = build_rig(database_url, tmp_path, case_system, app_backend, apis, profile={"notify": {
        "wechat_template": {"template_id": "TPL-PROGRESS", "fields": {"first": "{body}", "keyword1": "{references}"}}}})
    try:
        ref = rig.wechat_text(OPENID, "汉阳区钟家村公交站台破损").content.split("编号 ")[1][:11]
        rig.drain()
        _last_wrote_hours_ago(rig, OPENID, 49)
        rig.update(rig.ticket(ref).case_id, "accepted")
        rig.drain()
        (sent,) = rig.wechat_api.templates
        assert sent["touser"] == OPENID and sent["template_id"] == "TPL-PROGRESS"
        assert sent["data"]["keyword1"]["value"] == ref and rig.wechat_api.sent == []
    finally:
        rig.runtime.engine.dispose()


def test_wechat_refusing_for_its_window_falls_back_to_waiting(rig):
    ref = rig.wechat_text(OPENID, "汉阳区钟家村公交站台破损").content.split("编号 ")[1][:11]
    rig.drain()
    rig.wechat_api.fail_send = [45015]
    rig.update(rig.ticket(ref).case_id, "accepted")
    rig.drain()
    (notice,) = rig.notices()
    assert notice.state == "waiting"


def test_unsubscribed_numbers_get_no_sms(rig):
    ref = rig.twilio.text("青山区和平大道路面塌陷").reference
    rig.drain()
    reply = rig.twilio.text("退订")
    assert "退订" in (reply.message or "")
    rig.update(rig.ticket(ref).case_id, "accepted")
    rig.drain()
    (notice,) = rig.notices()
    assert notice.state == "skipped" and rig.twilio_api.sent == []
    rig.twilio.text("TD")                                   # a repeat changes nothing
    assert rig.ticket(ref).case_id is not None


def test_console_case_page_lists_every_notice_and_its_outcome(rig):
    case_id, refs = _merged_case(rig)
    rig.update(case_id, "accepted")
    rig.drain()
    response = rig.gw.get(f"/api/v1/cases/{case_id}", key=OPERATOR_KEY)
    listed = response.get_json()["notices"]
    assert {n["route"] for n in listed} == {"wechat", "sms", "app", "callback"}
    assert all(n["state"] in ("sent", "callback") for n in listed)
    assert not any(CALLER in str(n) for n in listed)        # numbers masked


def test_partner_platforms_hear_through_their_callback_when_the_profile_names_one(database_url, tmp_path,
                                                                                  case_system, app_backend, apis):
    from tests.harness.case_system import CaseSystem
    from tests.harness.gateway import PARTNER_SECRET
    with CaseSystem(PARTNER_SECRET) as partner:
        rig = build_rig(database_url, tmp_path, case_system, app_backend, apis,
                        profile={"notify": {"partner_callbacks": {"110": partner.url}}})
        try:
            response = rig.gw.post_signed("/channels/webhook/110", {"text": "江汉区某路口交通信号灯不亮",
                                                                    "contact": {"user_id": "p-77"}},
                                          secret=PARTNER_SECRET)
            ref = response.get_json()["reference"]
            rig.drain()
            rig.update(rig.ticket(ref).case_id, "accepted")
            rig.drain()
            (notice,) = [e for e in partner.accepted() if e["type"] == "citizen.notice"]
            assert notice["reference"] == ref and notice["user_id"] == "p-77" and notice["status"] == "accepted"
            assert partner.rejected == []                  # signed with the source's own secret
        finally:
            rig.runtime.engine.dispose()


def test_without_an_app_backend_or_partner_callback_nothing_is_queued(database_url, tmp_path, case_system,
                                                                      app_backend, apis):
    rig = build_rig(database_url, tmp_path, case_system, app_backend, apis)
    try:
        rig.runtime.settings = dataclasses.replace(rig.runtime.settings, app_callback_url=None)
        ref = rig.app_report("江汉区某小区停水", "u-9")
        rig.drain()
        rig.update(rig.ticket(ref).case_id, "accepted")
        rig.drain()
        assert rig.notices() == [] and rig.app_notices() == []
        assert rig.gw.get(f"/api/v1/tickets/{ref}").get_json()["progress"][0]["status"] == "accepted"
    finally:
        rig.runtime.engine.dispose()
