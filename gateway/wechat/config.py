"""The `[wechat]` table of the city profile, read once at start-up."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Mapping

from channels.chat.texts import with_overrides
from channels.wechat.security import Credentials, aes_key_bytes
from channels.wechat.texts import DEFAULTS
from config.settings import ConfigError, Settings

MENU_ACTIONS = ("report", "query", "rate")


@dataclass(frozen=True)
class WeChatConfig:
    credentials: Credentials | None
    max_body_bytes: int = 65536
    max_clock_skew_seconds: int = 60
    window: timedelta = timedelta(minutes=10)
    last_location_max_age: timedelta = timedelta(minutes=60)
    location_event_crs: str = "GCJ-02"
    query_keywords: tuple[str, ...] = ("查询", "查进度", "进度查询")
    new_report_keywords: tuple[str, ...] = ("新诉求", "新问题")
    query_limit: int = 5
    menu: Mapping[str, str] = field(default_factory=dict)      # EventKey → action
    texts: Mapping[str, str] = field(default_factory=dict)
    city: str = ""

    @property
    def on(self) -> bool:
        return self.credentials is not None


def load_wechat_config(settings: Settings) -> WeChatConfig:
    """The channel's configuration; ConfigError for an unusable AES key (at start-up, never on a request)."""
    section: Mapping[str, Any] = settings.section("wechat")
    creds = None
    if settings.wechat_token:
        if settings.wechat_aes_key:
            try:
                aes_key_bytes(settings.wechat_aes_key)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            if not settings.wechat_app_id:
                raise ConfigError("WECHAT_ENCODING_AES_KEY is set but WECHAT_APP_ID is not: safe mode needs both")
        creds = Credentials(settings.wechat_token, settings.wechat_app_id, settings.wechat_aes_key)
    keys = section.get("menu") or {}
    menu = {str(keys.get(action, action.upper())): action for action in MENU_ACTIONS}
    return WeChatConfig(
        credentials=creds,
        max_body_bytes=int(section.get("max_body_bytes", 65536)),
        max_clock_skew_seconds=int(section.get("max_clock_skew_seconds", 60)),
        window=timedelta(minutes=float(section.get("conversation_window_minutes", 10))),
        last_location_max_age=timedelta(minutes=float(section.get("last_location_max_age_minutes", 60))),
        location_event_crs=section.get("location_event_crs", "GCJ-02"),
        query_keywords=tuple(section.get("query_keywords", WeChatConfig.query_keywords)),
        new_report_keywords=tuple(section.get("new_report_keywords", WeChatConfig.new_report_keywords)),
        query_limit=int(section.get("query_limit", 5)),
        menu=menu,
        texts=with_overrides(DEFAULTS, section.get("texts") or {}),
        city=settings.section("city").get("name", ""),
    )
