"""The pure adapters, without a gateway: Twilio's signature and form, the uplink batch."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest

from channels.errors import ChannelError
from channels.sms import twilio, uplink
from tests.sms.simulator import AUTH_TOKEN, CALLER, PATH, PUBLIC_URL, form, sign

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def test_signed_url_keeps_the_query_exactly():
    assert twilio.signed_url("https://a.example/", PATH, "b=2&a=1") == f"https://a.example{PATH}?b=2&a=1"
    assert twilio.signed_url("https://a.example", PATH, "") == f"https://a.example{PATH}"


def test_verify_and_parse_a_signed_mms():
    pairs = form("井盖", media=[("https://api.twilio.com/m/ME1", "image/jpeg")])
    params = twilio.parse_form(urlencode(pairs).encode())
    url = f"{PUBLIC_URL}{PATH}"
    twilio.verify(url, params, sign(url, pairs), AUTH_TOKEN)
    message = twilio.parse_message(params, region="CN", received_at=NOW)
    assert message.sender.e164 == CALLER and message.text == "井盖" and message.idem_key.startswith("twilio:MM")
    assert message.media[0].content_type == "image/jpeg" and message.fields["NumMedia"] == "1"


def test_sha256_signatures_named_in_the_settings_header():
    from twilio.request_validator import RequestValidator
    pairs = form("x")
    params = twilio.parse_form(urlencode(pairs).encode())
    url = f"{PUBLIC_URL}{PATH}"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, dict(pairs), "HMAC_SHA256")
    twilio.verify(url, params, signature, AUTH_TOKEN, "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256")
    with pytest.raises(ChannelError):
        twilio.verify(url, params, signature, AUTH_TOKEN)


def test_twiml_escapes_citizen_text():
    xml = twilio.twiml("编号 <K7QM4> & </Message>")
    assert "&lt;K7QM4&gt; &amp; &lt;/Message&gt;" in xml


def test_uplink_token_is_compared_whole():
    uplink.check_token("secret", "secret")
    for given in (None, "", "secre", "secret2", "SECRET"):
        with pytest.raises(ChannelError):
            uplink.check_token(given, "secret")


def test_uplink_single_object_is_a_batch_of_one():
    batch = uplink.parse_batch(b'{"phone_number": "13800138000", "content": "hi", "sequence_id": 5}',
                               region="CN", zone="Asia/Shanghai", now=NOW)
    assert [m.idem_key for m, _ in batch] == ["aliyun:5"] and batch[0][0].received_at == NOW


def test_uplink_send_time_in_the_future_is_clamped():
    batch = uplink.parse_batch('[{"phone_number": "13800138000", "content": "hi", "sequence_id": 5, '
                               '"send_time": "2030-01-01 00:00:00"}]'.encode(), region="CN",
                               zone="Asia/Shanghai", now=NOW)
    assert batch[0][0].received_at == NOW
