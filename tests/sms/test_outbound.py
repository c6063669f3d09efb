"""Outbound texts through twilio's REST client (against a local fake of Twilio's API) and Aliyun's SendSms:
retried when the provider fails for a while, parked as `failed` (and listed) when it refuses or never recovers."""
from __future__ import annotations

import pytest

from gateway.sms.outbound import (NotConfigured, RoutedTwilioHttpClient, SendFailed, TwilioSender, failed_texts,
                                  make_sender, pending_sms_work, queue_sms, send_one)
from tests.sms.simulator import ACCOUNT_SID, AUTH_TOKEN, CITY_NUMBER, CALLER


def _queue(rig, provider: str, key: str = "notice-1", to: str = CALLER, body: str = "您的诉求已办结") -> int:
    later: list = []
    with rig.runtime.engine.begin() as conn:
        queue_sms(conn, rig.runtime, key=key, provider=provider, to=to, body=body, later=later)
        queue_sms(conn, rig.runtime, key=key, provider=provider, to=to, body=body, later=later)   # harmless
    assert len(later) == 1
    return later[0][1]


def test_twilio_client_talks_to_the_local_fake(sqlite_rig):
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, CITY_NUMBER, RoutedTwilioHttpClient(sqlite_rig.api.url, 5))
    sid = sender.send(CALLER, "【武汉市12345】您的诉求已办结 🎉")
    assert sid.startswith("SM")
    assert sqlite_rig.api.sent == [{"To": CALLER, "From": CITY_NUMBER, "Body": "【武汉市12345】您的诉求已办结 🎉"}]


def test_twilio_wrong_credentials_are_a_permanent_failure(sqlite_rig):
    sender = TwilioSender(ACCOUNT_SID, "wrong", CITY_NUMBER, RoutedTwilioHttpClient(sqlite_rig.api.url, 5))
    with pytest.raises(SendFailed) as failure:
        sender.send(CALLER, "x")
    assert failure.value.permanent


@pytest.mark.parametrize("provider", ["twilio", "aliyun"])
def test_sent_once(rig, provider):
    outbox_id = _queue(rig, provider)
    rig.drain()
    assert rig.outbox()[0].status == "sent" and rig.outbox()[0].attempts == 1
    sent = rig.api.sent if provider == "twilio" else rig.aliyun.sent
    assert len(sent) == 1
    assert send_one(rig.runtime, outbox_id) is None       # a repeated job sends nothing
    if provider == "aliyun":
        assert sent[0]["PhoneNumbers"] == CALLER[3:] and sent[0]["TemplateCode"] == "SMS_0001"


@pytest.mark.parametrize("provider", ["twilio", "aliyun"])
def test_temporary_failures_are_retried(sqlite_rig, provider):
    if provider == "twilio":
        sqlite_rig.api.script = [500, 429]
    else:
        sqlite_rig.aliyun.codes = ["isv.BUSINESS_LIMIT_CONTROL", "Throttling.User"]
    _queue(sqlite_rig, provider)
    sqlite_rig.drain()
    row = sqlite_rig.outbox()[0]
    assert row.status == "sent" and row.attempts == 3 and row.last_error is None


@pytest.mark.parametrize("provider", ["twilio", "aliyun"])
def test_refusals_fail_at_once_and_are_visible(sqlite_rig, provider):
    if provider == "twilio":
        sqlite_rig.api.script = [400]
    else:
        sqlite_rig.aliyun.codes = ["isv.MOBILE_NUMBER_ILLEGAL"]
    _queue(sqlite_rig, provider)
    sqlite_rig.drain()
    row = sqlite_rig.outbox()[0]
    assert row.status == "failed" and row.attempts == 1 and row.failed_at is not None
    listed = failed_texts(sqlite_rig.runtime)
    assert listed[0]["to"] == "+86138****8000" and listed[0]["last_error"]


def test_giving_up_after_max_attempts(sqlite_rig):
    sqlite_rig.api.script = [503] * 5
    _queue(sqlite_rig, "twilio")
    sqlite_rig.drain()
    row = sqlite_rig.outbox()[0]
    assert row.status == "failed" and row.attempts == 3 and "503" in row.last_error
    assert sqlite_rig.api.attempts == 3


def test_missing_credentials(sqlite_rig):
    from dataclasses import replace
    sqlite_rig.runtime.settings = replace(sqlite_rig.runtime.settings, aliyun_sms_access_key_id=None)
    with pytest.raises(NotConfigured):
        make_sender(sqlite_rig.runtime, "aliyun")
    with pytest.raises(NotConfigured):
        make_sender(sqlite_rig.runtime, "carrier-pigeon")


@pytest.mark.parametrize("provider", ["twilio", "aliyun"])
def test_without_credentials_a_text_waits_without_using_attempts_until_they_come(rig, provider):
    from dataclasses import replace
    configured = rig.runtime.settings
    rig.runtime.settings = replace(configured, twilio_from_number=None, aliyun_sms_access_key_secret=None)
    outbox_id = _queue(rig, provider)
    for _ in range(5):                                  # however often the job or the sweeper comes by
        assert send_one(rig.runtime, outbox_id) == "waiting"
        rig.drain()
    row = rig.outbox()[0]
    assert row.status == "pending" and row.attempts == 0 and row.last_error is None
    assert pending_sms_work(rig.runtime) == [] and failed_texts(rig.runtime) == []
    assert rig.api.sent == [] and rig.aliyun.sent == []
    # The keys are set and the gateway restarted: the sweeper finds the text due and it goes out once.
    rig.runtime.settings = configured
    assert pending_sms_work(rig.runtime) == [("send_sms", outbox_id, False)]
    rig.drain()
    row = rig.outbox()[0]
    assert row.status == "sent" and row.attempts == 1
    assert len(rig.api.sent if provider == "twilio" else rig.aliyun.sent) == 1
