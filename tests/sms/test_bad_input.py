"""Bad input on both SMS endpoints: refused with a 4xx (TwiML for Twilio, the provider's JSON for the uplink),
nothing stored, never a 500; and the signature checked over the public URL, proxies and ports included."""
from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from gateway.tables import submissions
from tests.sms.conftest import build_rig
from tests.sms.simulator import AUTH_TOKEN, PATH, PUBLIC_URL, TwilioSimulator, form, new_sid, sign


def _without(pairs, *names):
    return [(k, v) for k, v in pairs if k not in names]


def _with(pairs, **values):
    return [(k, values.get(k, v)) for k, v in pairs] + [(k, v) for k, v in values.items()
                                                         if k not in dict(pairs)]


BASE = form("路灯坏了", sid="SM" + "ab" * 16)
CASES = {
    # name: (pairs, post options, expected status, expected error code)
    "signature_missing": (BASE, {"signature": None}, 403, "signature_missing"),
    "signature_wrong": (BASE, {"signature": "dGhpcyBpcyBub3QgaXQ="}, 403, "signature_invalid"),
    "signature_other_token": (BASE, {"signature": sign(f"{PUBLIC_URL}{PATH}", BASE, "another-token")}, 403,
                              "signature_invalid"),
    "signature_over_internal_url": (BASE, {"signed_url": f"http://localhost{PATH}"}, 403, "signature_invalid"),
    "signature_over_other_path": (BASE, {"signed_url": f"{PUBLIC_URL}/channels/sms/other"}, 403,
                                  "signature_invalid"),
    "signature_without_the_query": (BASE, {"query": "city=wuhan", "signed_url": f"{PUBLIC_URL}{PATH}"}, 403,
                                    "signature_invalid"),
    "body_changed_after_signing": (BASE, {"raw": urlencode(_with(BASE, Body="井盖丢了")).encode()}, 403,
                                   "signature_invalid"),
    "from_missing": (_without(BASE, "From"), {}, 400, "field_missing"),
    "body_missing": (_without(BASE, "Body"), {}, 400, "field_missing"),
    "message_sid_missing": (_without(BASE, "MessageSid", "SmsSid", "SmsMessageSid"), {}, 400, "field_missing"),
    "message_sid_malformed": (_with(BASE, MessageSid="SM'; DROP TABLE"), {}, 400, "field_invalid"),
    "num_media_not_a_number": (_with(BASE, NumMedia="two"), {}, 400, "field_invalid"),
    "num_media_negative": (_with(BASE, NumMedia="-1"), {}, 400, "field_invalid"),
    "num_media_without_urls": (_with(BASE, NumMedia="1"), {}, 400, "field_missing"),
    "media_url_not_http": (_with(BASE, NumMedia="1", MediaUrl0="file:///etc/passwd"), {}, 400, "field_invalid"),
    "body_over_1600_chars": (_with(BASE, Body="路" * 1601), {}, 413, "text_too_long"),
    "body_with_nul": (_with(BASE, Body="路灯\x00坏了"), {}, 400, "control_characters"),
    "body_repeated": (BASE + [("Body", "第二个")], {}, 400, "field_repeated"),
    "to_with_nul": (_with(BASE, To="+8612345\x00"), {}, 400, "control_characters"),
    "kept_field_with_nul": (_with(BASE, FromCity="WUHAN\x00"), {}, 400, "control_characters"),
    "not_utf8": (BASE, {"raw": b"From=%2B8613800138000&Body=%FF%FE&MessageSid=SM" + b"ab" * 16}, 400,
                 "invalid_form"),
    "not_ascii": (BASE, {"raw": "From=+8613800138000&Body=路灯".encode()}, 400, "invalid_form"),
    "oversized": (BASE, {"raw": b"Body=" + b"a" * 70000}, 413, "body_too_large"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused(sqlite_rig, name):
    pairs, options, status, code = CASES[name]
    reply = sqlite_rig.twilio.post(pairs, **options)
    assert reply.status == status, reply.body
    assert code in reply.body and reply.message is None    # TwiML, and nothing is texted back
    assert sqlite_rig.tickets() == []
    with sqlite_rig.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(submissions)).scalar() == 0


def test_1600_characters_and_emoji_are_accepted_exactly(sqlite_rig):
    body = "路" * 1590 + "🚧😡 déjà"
    reply = sqlite_rig.twilio.text(body)
    assert reply.status == 200 and reply.reference
    assert sqlite_rig.tickets()[0].data["text"] == body


def test_same_sid_with_another_body_is_a_conflict(sqlite_rig):
    sid = new_sid()
    assert sqlite_rig.twilio.text("路灯坏了", sid=sid).status == 200
    again = sqlite_rig.twilio.text("井盖丢了", sid=sid)
    assert again.status == 409 and "idempotency_conflict" in again.body
    assert [r.data["text"] for r in sqlite_rig.tickets()] == ["路灯坏了"]


def test_failed_check_logs_the_url_but_not_the_token(sqlite_rig, caplog):
    with caplog.at_level(logging.WARNING):
        sqlite_rig.twilio.post(BASE, signed_url=f"http://localhost{PATH}")
    assert f"{PUBLIC_URL}{PATH}" in caplog.text and AUTH_TOKEN not in caplog.text


@pytest.mark.parametrize("public_url, query", [
    ("https://sms.wuhan12345.example.cn:8443", ""),          # TLS proxy on a non-default port
    ("https://sms.wuhan12345.example.cn", "city=wuhan&x=1"),  # default port, a query string in the webhook URL
    ("http://10.0.0.8:8000/intake", ""),                       # a path prefix the proxy strips
])
def test_signature_over_the_public_url_behind_a_proxy(sqlite_url, tmp_path, case_system, providers, public_url,
                                                      query):
    # The app sees http://localhost/channels/sms/twilio; Twilio signed the URL it was configured with.
    rig = build_rig(sqlite_url, tmp_path, case_system, providers, GATEWAY_PUBLIC_URL=public_url)
    sim = TwilioSimulator(rig.gw.client, public_url)
    reply = sim.post(form("路灯坏了"), query=query)
    assert reply.status == 200 and reply.reference
    # Twilio signing the default port explicitly is accepted too (its servers do both).
    if public_url == "https://sms.wuhan12345.example.cn":
        pairs = form("井盖丢了")
        assert sim.post(pairs, query=query, signed_url=f"{public_url}:443{PATH}?{query}").status == 200
    rig.runtime.engine.dispose()


def test_twilio_channel_off_without_auth_token(sqlite_url, tmp_path, case_system, providers):
    rig = build_rig(sqlite_url, tmp_path, case_system, providers, TWILIO_AUTH_TOKEN=None)
    reply = rig.twilio.post(form("路灯坏了"))
    assert reply.status == 404 and "channel_off" in reply.body and rig.tickets() == []
    assert rig.uplink([{"phone_number": "13900139000", "content": "x", "sequence_id": 1}]).status_code == 200
    rig.runtime.engine.dispose()


def test_uplink_channel_off_without_token(sqlite_url, tmp_path, case_system, providers):
    rig = build_rig(sqlite_url, tmp_path, case_system, providers, GATEWAY_SMS_UPLINK_TOKEN=None)
    response = rig.uplink([{"phone_number": "13900139000", "content": "x", "sequence_id": 1}])
    assert response.status_code == 404 and response.json["error"] == "channel_off"
    rig.runtime.engine.dispose()


ITEM = {"phone_number": "13900139000", "content": "路灯坏了", "send_time": "2026-11-27 08:00:00",
        "dest_code": "12345", "sequence_id": 7}
UPLINK_CASES = {
    "token_missing": ([ITEM], {"token": None}, 403),
    "token_wrong": ([ITEM], {"token": "uplink-token-9f2c41d8"}, 403),
    "not_json": (None, {"raw": b"[{\"phone_number\": "}, 400),
    "not_utf8": (None, {"raw": b"\xff\xfe[]"}, 400),
    "empty_array": ([], {}, 400),
    "not_an_array": ("hello", {}, 400),
    "item_not_object": ([ITEM, 5], {}, 400),
    "phone_missing": ([ITEM, {k: v for k, v in ITEM.items() if k != "phone_number"}], {}, 400),
    "content_not_text": ([{**ITEM, "content": 12}], {}, 400),
    "sequence_id_missing": ([{k: v for k, v in ITEM.items() if k != "sequence_id"}], {}, 400),
    "sequence_id_bool": ([{**ITEM, "sequence_id": True}], {}, 400),
    "send_time_garbage": ([{**ITEM, "send_time": "昨天"}], {}, 400),
    "content_nul": ([{**ITEM, "content": "a\x00b"}], {}, 400),
    "dest_code_nul": ([{**ITEM, "dest_code": "12\x0034"}], {}, 400),
    "sequence_id_nul": ([{**ITEM, "sequence_id": "ab\x00"}], {}, 400),
    "lone_surrogate_key": (None, {"raw": b'[{"\\ud800": 1}]'}, 400),
    "content_too_long": ([{**ITEM, "content": "路" * 1601}], {}, 413),
}


@pytest.mark.parametrize("name", sorted(UPLINK_CASES))
def test_uplink_refused(sqlite_rig, name):
    batch, options, status = UPLINK_CASES[name]
    response = sqlite_rig.uplink(batch, **options)
    assert response.status_code == status
    assert response.json["code"] != 0 and response.json["message"]
    assert sqlite_rig.tickets() == []
