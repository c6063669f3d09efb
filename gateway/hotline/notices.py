"""Hotline callers hear back by SMS when they called from a mobile; otherwise an operator calls them back (the
notice is listed in the console until marked done)."""
from __future__ import annotations

from channels.phone import parse_phone
from gateway.notice_routes import Route, contact, identity_value
from gateway.runtime import Runtime

TEXTABLE = ("mobile", "mobile_or_landline")


def notice_route(runtime: Runtime, row) -> Route | None:
    """SMS to a mobile caller (`[notify] sms_provider`, else the uplink's provider); a call-back otherwise."""
    region = runtime.settings.section("city").get("phone_region", "CN")
    number = identity_value(row, "phone") or contact(row).get("phone") or \
        ((row.data or {}).get("extra") or {}).get("caller_number")
    phone = parse_phone(number, region)
    if phone.is_citizen and phone.kind in TEXTABLE:
        provider = runtime.settings.section("notify").get("sms_provider") or \
            runtime.settings.section("sms").get("uplink_provider", "aliyun")
        return Route("sms", phone.e164, {"provider": provider})
    return Route("callback", phone.e164 or number or f"ref:{row.reference}", {"phone": phone.e164 or number})
