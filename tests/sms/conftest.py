"""Fixtures for the SMS channels: a gateway with Twilio and the uplink configured, Twilio's and Aliyun's APIs faked."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from gateway.embedded import run_pending
from gateway.tables import sms_outbox, tickets
from tests.harness.gateway import Gateway, make_gateway
from tests.sms.fake_providers import FakeAliyunSMS, FakeTwilioAPI
from tests.sms.simulator import ACCOUNT_SID, AUTH_TOKEN, CITY_NUMBER, PUBLIC_URL, TwilioSimulator
from tests.wechat.simulator import Clock

UPLINK_TOKEN = "uplink-token-9f2c41d7"
ALIYUN_KEY_ID, ALIYUN_SECRET = "LTAI5tFakeKeyId", "fake-aliyun-secret"


@dataclass
class SmsRig:
    gw: Gateway
    twilio: TwilioSimulator
    clock: Clock
    api: FakeTwilioAPI
    aliyun: FakeAliyunSMS

    @property
    def runtime(self):
        return self.gw.runtime

    def drain(self) -> int:
        return run_pending(self.runtime)

    def tickets(self) -> list:
        with self.runtime.engine.connect() as conn:
            return conn.execute(select(tickets).order_by(tickets.c.id)).all()

    def outbox(self) -> list:
        with self.runtime.engine.connect() as conn:
            return conn.execute(select(sms_outbox).order_by(sms_outbox.c.id)).all()

    def uplink(self, batch, token: str | None = UPLINK_TOKEN, raw: bytes | None = None):
        import json
        data = raw if raw is not None else json.dumps(batch, ensure_ascii=False).encode()
        query = {"token": token} if token is not None else {}
        return self.gw.client.post("/channels/sms/uplink", query_string=query, data=data,
                                   headers={"Content-Type": "application/json"})


@pytest.fixture
def providers():
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as api, FakeAliyunSMS(ALIYUN_KEY_ID, ALIYUN_SECRET) as aliyun:
        yield api, aliyun


def build_rig(database_url, tmp_path, case_system, providers, profile: dict | None = None, **env) -> SmsRig:
    api, aliyun = providers
    settings = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_FROM_NUMBER": CITY_NUMBER, "GATEWAY_SMS_UPLINK_TOKEN": UPLINK_TOKEN,
                "GATEWAY_PUBLIC_URL": PUBLIC_URL, "DOWNSTREAM_URL": case_system.url,
                "ALIYUN_SMS_ACCESS_KEY_ID": ALIYUN_KEY_ID, "ALIYUN_SMS_ACCESS_KEY_SECRET": ALIYUN_SECRET}
    settings.update(env)
    merged = {"delivery": {"backoff_base_seconds": 0, "backoff_max_seconds": 0},
              "sms": {"twilio": {"api_base_url": api.url}, "aliyun": {"endpoint": aliyun.url + "/",
                                                                      "sign_name": "武汉12345",
                                                                      "template_code": "SMS_0001"},
                      "outbound": {"retry_base_seconds": 0, "retry_max_seconds": 0, "max_attempts": 3}}}
    for section, values in (profile or {}).items():
        merged.setdefault(section, {}).update(values)
    gw = make_gateway(database_url, tmp_path, profile=merged, **{k: v for k, v in settings.items() if v is not None})
    clock = Clock()
    gw.runtime.clock = clock
    return SmsRig(gw, TwilioSimulator(gw.client, PUBLIC_URL), clock, api, aliyun)


@pytest.fixture
def rig(database_url, tmp_path, case_system, providers):
    """The SMS rig on SQLite and on PostgreSQL."""
    made = build_rig(database_url, tmp_path, case_system, providers)
    yield made
    made.runtime.engine.dispose()


@pytest.fixture
def sqlite_rig(sqlite_url, tmp_path, case_system, providers):
    """The SMS rig on SQLite only (adapter behaviour that does not depend on the store)."""
    made = build_rig(sqlite_url, tmp_path, case_system, providers)
    yield made
    made.runtime.engine.dispose()
