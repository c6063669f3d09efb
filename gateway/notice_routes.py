"""Who hears of a case update, and how: each report's channel names its route and recipient.

A report is reached through the channel it came from, under its own sender identity (`tickets.citizen`, the app's
`contact.user_id`, the partner source): never through an identity it was merely linked to, so a phone number
someone typed into another channel adds no recipient. Reports of one identity in one case share one notice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from channels.phone import parse_phone
from gateway.runtime import Runtime


@dataclass(frozen=True)
class Route:
    """How one report's citizen is reached: `route` (wechat | sms | app | partner | callback) and to whom."""

    route: str
    recipient: str
    payload: dict[str, Any] = field(default_factory=dict)


def _identity(row, kind: str) -> str | None:
    prefix = f"{kind}:"
    return row.citizen[len(prefix):] if row.citizen and row.citizen.startswith(prefix) else None


def _contact(row) -> dict[str, Any]:
    return (row.data or {}).get("contact") or {}


def _wechat(runtime: Runtime, row) -> Route | None:
    openid = _identity(row, "wechat")
    return Route("wechat", openid) if openid else None


def _sms(runtime: Runtime, row) -> Route | None:
    phone = _identity(row, "phone")
    if not phone:
        return None
    # The number answers through the provider it wrote to: Twilio's, or the domestic uplink's.
    provider = "twilio" if row.source == "twilio" else runtime.settings.section("sms").get("uplink_provider", "aliyun")
    return Route("sms", phone, {"provider": provider})


def _app(runtime: Runtime, row) -> Route | None:
    if not runtime.settings.app_callback_url:
        return None  # no app backend: app citizens read their progress in the ticket API
    user_id = _contact(row).get("user_id")
    return Route("app", f"user:{user_id}" if user_id else f"ref:{row.reference}", {"user_id": user_id})


def _hotline(runtime: Runtime, row) -> Route | None:
    region = runtime.settings.section("city").get("phone_region", "CN")
    number = _identity(row, "phone") or _contact(row).get("phone") or ((row.data or {}).get("extra") or {}).get(
        "caller_number")
    phone = parse_phone(number, region)
    if phone.is_citizen and phone.kind in ("mobile", "mobile_or_landline"):
        provider = runtime.settings.section("notify").get("sms_provider") or \
            runtime.settings.section("sms").get("uplink_provider", "aliyun")
        return Route("sms", phone.e164, {"provider": provider})
    # A landline (or no number the gateway can text): an operator calls back, and marks it done.
    return Route("callback", phone.e164 or number or f"ref:{row.reference}", {"phone": phone.e164 or number})


def _partner(runtime: Runtime, row) -> Route | None:
    callbacks = runtime.settings.section("notify").get("partner_callbacks") or {}
    source = row.source or ""
    if not callbacks.get(source) or source not in runtime.settings.webhook_secrets:
        return None
    user_id = _contact(row).get("user_id")
    recipient = f"{source}:user:{user_id}" if user_id else f"{source}:ref:{row.reference}"
    return Route("partner", recipient, {"source": source, "user_id": user_id})


ROUTERS: dict[str, Callable[[Runtime, Any], Route | None]] = {
    "wechat": _wechat, "sms": _sms, "app": _app, "hotline": _hotline, "webhook": _partner,
}


def route_for(runtime: Runtime, row) -> Route | None:
    """The route of one stored report (a `tickets` row), or None when its channel has no way back."""
    router = ROUTERS.get(row.channel)
    return router(runtime, row) if router else None
