"""The `[sms]` table of the city profile and the SMS credentials, read once at start-up."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Mapping

from channels.sms.message import MAX_TEXT_CHARS
from channels.sms.texts import sms_texts
from config.settings import Settings


@dataclass(frozen=True)
class SmsConfig:
    auth_token: str | None = None          # TWILIO_AUTH_TOKEN: the Twilio webhook is on with it
    account_sid: str | None = None
    from_number: str | None = None
    uplink_token: str | None = None        # GATEWAY_SMS_UPLINK_TOKEN: the uplink push is on with it
    public_url: str = "http://127.0.0.1:8000"
    region: str = "CN"
    window: timedelta = timedelta(minutes=10)
    query_keywords: tuple[str, ...] = ("查询", "查进度", "CX", "cx", "Cx", "cX")
    new_report_keywords: tuple[str, ...] = ("新诉求", "新问题")
    query_limit: int = 3
    max_text_chars: int = MAX_TEXT_CHARS
    max_body_bytes: int = 65536
    uplink_provider: str = "aliyun"
    texts: Mapping[str, str] = field(default_factory=dict)
    section: Mapping[str, Any] = field(default_factory=dict)

    @property
    def twilio_on(self) -> bool:
        return bool(self.auth_token)

    @property
    def uplink_on(self) -> bool:
        return bool(self.uplink_token)


def load_sms_config(settings: Settings) -> SmsConfig:
    """The channel's configuration from the settings and the profile's [sms] table."""
    section: Mapping[str, Any] = settings.section("sms")
    city = settings.section("city")
    return SmsConfig(
        auth_token=settings.twilio_auth_token,
        account_sid=settings.twilio_account_sid,
        from_number=settings.twilio_from_number,
        uplink_token=settings.sms_uplink_token,
        public_url=settings.public_url,
        region=city.get("phone_region") or "CN",
        window=timedelta(minutes=float(section.get("conversation_window_minutes", 10))),
        query_keywords=tuple(section.get("query_keywords", SmsConfig.query_keywords)),
        new_report_keywords=tuple(section.get("new_report_keywords", SmsConfig.new_report_keywords)),
        query_limit=int(section.get("query_limit", 3)),
        max_text_chars=int(section.get("max_text_chars", MAX_TEXT_CHARS)),
        max_body_bytes=int(section.get("max_body_bytes", 65536)),
        uplink_provider=section.get("uplink_provider", "aliyun"),
        texts=sms_texts(section.get("texts") or {}, city.get("name", "")),
        section=section,
    )
