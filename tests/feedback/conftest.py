"""A gateway with every channel a citizen can hear back on, each outside system played by a local fake that records
what it was sent: WeChat's API, Twilio's API, Aliyun SMS, the app backend and the case system."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.embedded import run_pending
from gateway.tables import notices, tickets
from tests.harness.case_system import CaseSystem
from tests.harness.gateway import DOWNSTREAM_SECRET, SUPERVISOR_KEY, Gateway, make_gateway
from tests.hotline.support import post_hotline
from tests.sms.conftest import ALIYUN_KEY_ID, ALIYUN_SECRET, UPLINK_TOKEN
from tests.sms.fake_providers import FakeAliyunSMS, FakeTwilioAPI
from tests.sms.simulator import ACCOUNT_SID, AUTH_TOKEN, CITY_NUMBER, PUBLIC_URL, TwilioSimulator
from tests.wechat.fake_api import FakeWeChatAPI
from tests.wechat.simulator import AES_KEY, APP_ID, APP_SECRET, TOKEN, Clock, WeChatServer, message

APP_CALLBACK_SECRET = "app-backend-secret"
ZONE = ZoneInfo("Asia/Shanghai")


def quiet_window_around(now: datetime, before_minutes: int = 1, after_minutes: int = 3) -> tuple[str, datetime]:
    """A `[notify] quiet_hours` value whose window holds `now`, and the instant the window ends (UTC)."""
    local = now.astimezone(ZONE).replace(second=0, microsecond=0)
    start, end = local - timedelta(minutes=before_minutes), local + timedelta(minutes=after_minutes)
    return f"{start:%H:%M}-{end:%H:%M}", end.astimezone(timezone.utc)


@dataclass
class Rig:
    gw: Gateway
    clock: Clock
    wechat_api: FakeWeChatAPI
    twilio_api: FakeTwilioAPI
    aliyun: FakeAliyunSMS
    app_backend: CaseSystem
    case_system: CaseSystem

    @property
    def runtime(self):
        return self.gw.runtime

    @property
    def wechat(self) -> WeChatServer:
        return WeChatServer(self.gw.client, self.clock)

    @property
    def twilio(self) -> TwilioSimulator:
        return TwilioSimulator(self.gw.client, PUBLIC_URL)

    def drain(self) -> int:
        return run_pending(self.runtime)

    def wechat_text(self, openid: str, text: str):
        return self.wechat.push(message("text", openid=openid, msg_id=uuid.uuid4().int % 10 ** 15, Content=text))

    def app_report(self, text: str, user_id: str, phone: str | None = None) -> str:
        contact = {"user_id": user_id, **({"phone": phone} if phone else {})}
        response = self.gw.post_app({"text": text, "contact": contact})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["reference"]

    def hotline_call(self, text: str, number: str) -> str:
        body = {"call_id": uuid.uuid4().hex, "caller_number": number, "transcript": text}
        response = post_hotline(self.gw, body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["reference"]

    def ticket(self, reference: str):
        with self.runtime.engine.connect() as conn:
            return conn.execute(select(tickets).where(tickets.c.reference == reference)).one()

    def notices(self) -> list:
        with self.runtime.engine.connect() as conn:
            return conn.execute(select(notices).order_by(notices.c.id)).all()

    def merge_all(self, references: list[str]) -> int:
        """A supervisor joins every report's case into the first one's; returns that case."""
        target = self.ticket(references[0]).case_id
        for reference in references[1:]:
            other = self.ticket(reference).case_id
            if other != target:
                response = self.gw.client.post(f"/api/v1/cases/{target}/merge", json={"case_id": other},
                                               headers={"Authorization": f"Bearer {SUPERVISOR_KEY}"})
                assert response.status_code == 200, response.get_json()
        return target

    def update(self, case_id: int, status: str, *, unit: str | None = "江汉区城管局", message: str | None = None,
               event_id: str | None = None, at: datetime | None = None):
        body = {"case_id": case_id, "status": status, "unit": unit, "message": message,
                "updated_at": (at or self.clock()).isoformat()}
        return self.gw.post_signed("/api/v1/case-updates", body, secret=DOWNSTREAM_SECRET, event_id=event_id,
                                   now=self.clock().timestamp())

    def app_notices(self) -> list[dict]:
        return [e for e in self.app_backend.accepted() if e.get("type") == "citizen.notice"]


@pytest.fixture
def app_backend():
    with CaseSystem(APP_CALLBACK_SECRET) as backend:
        yield backend


def build_rig(database_url, tmp_path, case_system, app_backend, apis, profile: dict | None = None) -> Rig:
    wechat_api, twilio_api, aliyun = apis
    env = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET,
           "WECHAT_ENCODING_AES_KEY": AES_KEY, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
           "TWILIO_FROM_NUMBER": CITY_NUMBER, "GATEWAY_SMS_UPLINK_TOKEN": UPLINK_TOKEN,
           "GATEWAY_PUBLIC_URL": PUBLIC_URL,
           "ALIYUN_SMS_ACCESS_KEY_ID": ALIYUN_KEY_ID, "ALIYUN_SMS_ACCESS_KEY_SECRET": ALIYUN_SECRET,
           "DOWNSTREAM_URL": case_system.url, "GATEWAY_APP_CALLBACK_URL": app_backend.url,
           "GATEWAY_APP_CALLBACK_SECRET": APP_CALLBACK_SECRET}
    merged = {"delivery": {"backoff_base_seconds": 0, "backoff_max_seconds": 0},
              "wechat": {"api_base_url": wechat_api.url},
              "sms": {"twilio": {"api_base_url": twilio_api.url},
                      "aliyun": {"endpoint": aliyun.url + "/", "sign_name": "武汉12345", "template_code": "SMS_0001"},
                      "outbound": {"retry_base_seconds": 0, "retry_max_seconds": 0, "max_attempts": 3}},
              # No quiet hours unless a test sets them: the time of day the suite runs at must not matter.
              "notify": {"retry_base_seconds": 0, "retry_max_seconds": 0, "max_attempts": 3, "quiet_hours": ""}}
    for section, values in (profile or {}).items():
        merged.setdefault(section, {}).update(values)
    gw = make_gateway(database_url, tmp_path, profile=merged, **env)
    clock = Clock()
    gw.runtime.clock = clock
    return Rig(gw, clock, wechat_api, twilio_api, aliyun, app_backend, case_system)


@pytest.fixture
def apis():
    with FakeWeChatAPI(APP_ID, APP_SECRET) as wechat_api, FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio_api, \
            FakeAliyunSMS(ALIYUN_KEY_ID, ALIYUN_SECRET) as aliyun:
        yield wechat_api, twilio_api, aliyun


@pytest.fixture
def rig(database_url, tmp_path, case_system, app_backend, apis):
    """The feedback rig on SQLite and on PostgreSQL."""
    made = build_rig(database_url, tmp_path, case_system, app_backend, apis)
    yield made
    made.runtime.engine.dispose()


@pytest.fixture
def sqlite_rig(sqlite_url, tmp_path, case_system, app_backend, apis):
    made = build_rig(sqlite_url, tmp_path, case_system, app_backend, apis)
    yield made
    made.runtime.engine.dispose()


def sms_texts(rig: Rig) -> list[tuple[str, str]]:
    """(to, body) of every text the providers took: Twilio's and Aliyun's."""
    out = [(m["To"], m["Body"]) for m in rig.twilio_api.sent]
    out += [("+86" + m["PhoneNumbers"], json.loads(m["TemplateParam"])["content"]) for m in rig.aliyun.sent]
    return out
