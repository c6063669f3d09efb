"""Finding 5 at every door: a flooding sender is refused alone (429, a polite reply, or a "limited" record), and
nothing of the refused submissions is stored."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from gateway.tables import submissions, tickets
from tests.harness.gateway import OPERATOR_KEY, PARTNER_SECRET, make_gateway
from tests.hotline.support import post_hotline
from tests.sms.conftest import build_rig as build_sms_rig, providers  # noqa: F401 (a fixture)
from tests.wechat.conftest import build_rig as build_wechat_rig, wechat_api  # noqa: F401 (a fixture)
from tests.wechat.simulator import message

LIMITED = {"limits": {"sender_per_minute": 3, "source_per_minute": 5}}


def count(runtime, table=tickets) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def app_report(gw, user_id: str, text: str = "汉阳区钟家村小区门口路灯坏了"):
    return gw.post_app({"text": text, "contact": {"user_id": user_id}})


def test_one_app_user_flooding_does_not_stop_another(database_url, tmp_path):
    gw = make_gateway(database_url, tmp_path, profile={"limits": {"sender_per_minute": 20}})
    flood, other = [], []
    for n in range(30):                      # interleaved: the flood and an honest citizen at the same time
        flood.append(app_report(gw, "flooder", f"第{n}次刷屏"))
        if n % 10 == 0:
            other.append(app_report(gw, "honest-citizen"))
    assert [r.status_code for r in flood] == [201] * 20 + [429] * 10
    assert [r.status_code for r in other] == [201, 201, 201]
    refused = flood[-1]
    assert refused.json["error"] == "rate_limited" and "秒后再试" in refused.json["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert count(gw.runtime) == 23 and count(gw.runtime, submissions) == 23
    gw.runtime.engine.dispose()


def test_one_phone_is_one_sender_across_its_spellings_and_the_hotline_too(sqlite_url, tmp_path):
    gw = make_gateway(sqlite_url, tmp_path, profile=LIMITED)
    answers = [gw.post_app({"text": "路灯坏了", "contact": {"phone": phone}})
               for phone in ("13900001111", "+86 139 0000 1111")]
    answers.append(post_hotline(gw, {"call_id": "c-1", "summary": "路灯坏了", "caller_number": "0086-13900001111"},
                                key=OPERATOR_KEY))
    answers.append(post_hotline(gw, {"call_id": "c-2", "summary": "路灯坏了", "caller_number": "139 0000 1111"},
                                key=OPERATOR_KEY))
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert count(gw.runtime) == 3


def test_a_partner_source_has_its_own_limit(sqlite_url, tmp_path):
    gw = make_gateway(sqlite_url, tmp_path, profile=LIMITED)
    answers = [gw.post_signed("/channels/webhook/110", {"text": f"第{n}条转办"}, secret=PARTNER_SECRET)
               for n in range(7)]
    assert [a.status_code for a in answers] == [201] * 5 + [429] * 2
    assert answers[-1].headers["Retry-After"]
    # A forged request does not use the partner's allowance: the signature is checked first.
    assert app_report(gw, "someone").status_code == 201


def test_a_flooding_wechat_follower_gets_a_polite_reply_and_nothing_is_stored(sqlite_url, tmp_path, case_system,
                                                                              wechat_api):
    rig = build_wechat_rig(sqlite_url, tmp_path, case_system, wechat_api, profile=LIMITED)
    replies = [rig.wechat.push(message("text", openid="oFLOOD", msg_id=n, Content=f"刷屏{n}"))
               for n in range(1, 6)]
    assert [r.status for r in replies] == [200] * 5
    assert "过于频繁" in replies[-1].content and "110" in replies[-1].content
    assert count(rig.runtime, submissions) == 3
    other = rig.wechat.push(message("text", openid="oHONEST", msg_id=99, Content="江汉区解放大道井盖丢了"))
    assert "编号" in other.content
    rig.runtime.engine.dispose()


def test_a_flooding_number_on_twilio_gets_a_polite_text_and_nothing_is_stored(sqlite_url, tmp_path, case_system,
                                                                              providers):
    rig = build_sms_rig(sqlite_url, tmp_path, case_system, providers, profile=LIMITED)
    replies = [rig.twilio.text(f"刷屏{n}", sender="+8613911112222") for n in range(5)]
    assert [r.status for r in replies] == [200] * 5
    assert "过于频繁" in replies[-1].message
    assert count(rig.runtime, submissions) == 3
    assert rig.twilio.text("江汉区解放大道井盖丢了", sender="+8613933334444").reference
    rig.runtime.engine.dispose()


def test_an_uplink_batch_is_still_code_0_with_over_limit_texts_recorded_as_limited(sqlite_url, tmp_path, case_system,
                                                                                  providers):
    rig = build_sms_rig(sqlite_url, tmp_path, case_system, providers, profile=LIMITED)
    batch = [{"phone_number": "13900139001", "content": f"刷屏{n}", "send_time": "2026-11-27 08:01:00",
              "dest_code": "12345", "sequence_id": 200 + n} for n in range(5)]
    batch.append({"phone_number": "13900139002", "content": "武昌区积玉桥小区停水两天了",
                  "send_time": "2026-11-27 08:01:05", "dest_code": "12345", "sequence_id": 300})
    answer = rig.uplink(batch)
    assert answer.status_code == 200 and answer.json["code"] == 0
    with rig.runtime.engine.connect() as conn:
        bodies = [r.response_body for r in conn.execute(select(submissions).order_by(submissions.c.id))]
    assert len(bodies) == 6 and sum(bool(b.get("limited")) for b in bodies) == 2
    reports = {t.citizen for t in rig.tickets()}
    assert len(reports) == 2                                  # the flooder's first texts and the other sender
    again = rig.uplink(batch)                                 # the provider pushes the batch again: all repeats
    assert again.json["code"] == 0 and count(rig.runtime, submissions) == 6
    rig.runtime.engine.dispose()


def test_limits_off_are_off(sqlite_url, tmp_path):
    gw = make_gateway(sqlite_url, tmp_path, profile={"limits": {"sender_per_minute": 0}})
    assert all(app_report(gw, "busy", uuid.uuid4().hex).status_code == 201 for _ in range(25))
