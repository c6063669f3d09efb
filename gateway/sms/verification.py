"""Proving that an identity (an app user, a WeChat follower) owns a phone number: a code texted to the number.

Until the code comes back, a phone the identity merely gave us stays an unverified claim and no reports are shared
between them (`gateway.citizens`).
"""
from __future__ import annotations

from channels.phone import parse_phone
from gateway.citizens import confirm_phone, start_phone_verification
from gateway.conversation import Later
from gateway.runtime import Runtime
from gateway.sms.config import load_sms_config
from gateway.sms.outbound import queue_sms


class NotAPhone(ValueError):
    """The number is not a citizen's phone (invalid, or a service number)."""


def _e164(runtime: Runtime, raw: str) -> str:
    phone = parse_phone(raw, runtime.settings.section("city").get("phone_region") or "CN")
    if not phone.is_citizen:
        raise NotAPhone(phone.masked)
    return phone.e164


def request_code(runtime: Runtime, requester: str, raw_phone: str, provider: str = "twilio") -> None:
    """Text a fresh code to the phone (through the outbox); raises NotAPhone for a number that is not one."""
    phone = _e164(runtime, raw_phone)
    cfg = load_sms_config(runtime.settings)
    later: Later = []
    with runtime.engine.begin() as conn:
        now = runtime.clock()
        code = start_phone_verification(conn, requester, phone, now)
        minutes = "10"
        queue_sms(conn, runtime, key=f"verify:{requester}:{phone}:{now.isoformat()}", provider=provider, to=phone,
                  body=cfg.texts["verify_code"].format(code=code, minutes=minutes), later=later)
    for job, arg, urgent in later:
        runtime.queue.enqueue(job, arg, urgent=urgent)


def confirm_code(runtime: Runtime, requester: str, raw_phone: str, code: str) -> bool:
    """True when the code is right: the phone is then a verified identity of the requester's citizen."""
    phone = _e164(runtime, raw_phone)
    with runtime.engine.begin() as conn:
        return confirm_phone(conn, requester, phone, code, runtime.clock())
