"""A sender's phone number as the channels see it: E.164 when it is a real subscriber number, never a guess.

phonenumbers does the work, with the city's default region (`[city] phone_region`): mobiles, landlines with their
area code (027-…), and the `+86` / `0086` / `86` prefixes all become E.164. Service numbers (12345, 95xxx, 110,
10086 and the 106… SMS ports that businesses send from) are recognised with phonenumbers' short-number API and are
never a citizen's number. Anything else is kept raw and flagged `invalid`: a fake E.164 would link two people.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo

from normalizer.pii import valid_number

MAX_RAW_CHARS = 64
_TYPES = {
    PhoneNumberType.MOBILE: "mobile", PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile_or_landline", PhoneNumberType.VOIP: "voip",
    # 400/800 numbers and premium lines belong to businesses and hotlines: real numbers, never a citizen's.
    PhoneNumberType.TOLL_FREE: "service", PhoneNumberType.SHARED_COST: "service",
    PhoneNumberType.PREMIUM_RATE: "service", PhoneNumberType.UAN: "service",
}
# Chinese SMS service ports (106 + operator + business code) send notices, not people; they are not short
# numbers in phonenumbers' data, so they are recognised here.
_CN_SMS_PORT = re.compile(r"^106\d{5,17}$")


@dataclass(frozen=True)
class Phone:
    """A parsed number: `kind` is mobile | landline | … | service | invalid; `e164` only for real numbers."""

    raw: str
    kind: str
    e164: str | None = None
    region: str | None = None

    @property
    def is_citizen(self) -> bool:
        """A number a person texts or calls from (not a service number, not unparseable)."""
        return self.e164 is not None and self.kind not in ("service", "invalid")

    @property
    def identity(self) -> str:
        """The identity key of this sender: `phone:+86…`, or `phone-raw:<digits>` for a number we cannot trust."""
        if self.e164:
            return f"phone:{self.e164}"
        return f"phone-raw:{re.sub(r'[^0-9A-Za-z+]', '', self.raw)[:40] or '?'}"

    @property
    def masked(self) -> str:
        """For logs: 138****8000."""
        return mask_phone(self.e164 or self.raw)


def _digits(raw: str) -> str:
    return re.sub(r"\D", "", raw)


def _parse(raw: str, region: str):
    try:
        return phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None


def parse_phone(raw: str | None, region: str = "CN") -> Phone:
    """Classify and normalize a sender number (`region` is the default for numbers without a country code)."""
    raw = (raw or "").strip()[:MAX_RAW_CHARS]
    text = raw[4:].strip() if raw.lower().startswith("tel:") else raw
    digits = _digits(text)
    if not digits or re.search(r"[A-Za-z]", text):
        # Alphanumeric sender ids ("CMB", "whatsapp:+86…" is not SMS) are not numbers we can answer or link.
        return Phone(raw, "invalid")
    facts = valid_number(text, region)   # cached: the normalizer parsed the same contact phone just before
    if facts is not None:
        e164, number_type, number_region = facts
        return Phone(raw, _TYPES.get(number_type, "other"), e164, number_region)
    number = _parse(text, region)
    if _is_service(text, digits, number, region):
        return Phone(raw, "service", None, region)
    return Phone(raw, "invalid")


def _is_service(raw: str, digits: str, number, region: str) -> bool:
    if number is not None:
        regions = [region] if number.country_code == phonenumbers.country_code_for_region(region) else \
            phonenumbers.region_codes_for_country_code(number.country_code)
        if any(shortnumberinfo.is_valid_short_number_for_region(number, r) for r in regions):
            return True
    if shortnumberinfo.is_emergency_number(raw, region):
        return True
    national = digits
    for prefix in ("0086", "86"):
        if national.startswith(prefix) and (raw.startswith("+") or prefix == "0086"):
            national = national[len(prefix):]
            break
    return region == "CN" and bool(_CN_SMS_PORT.match(national))


def is_service_number(raw: str | None, region: str = "CN") -> bool:
    """True for 12345, 95xxx, 110 and other service numbers, which are never a citizen's."""
    return parse_phone(raw, region).kind == "service"


def mask_phone(phone: str | None) -> str:
    """A number with its middle hidden for logs: 13800138000 → 138****8000, +8613800138000 → +86138****8000."""
    if not phone:
        return ""
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) < 7:
        return phone[:1] + "*" * (len(phone) - 1) if len(phone) > 3 else "***"
    skip = 2 if phone.startswith("+86") else (len(digits) - 11 if phone.startswith("+") and len(digits) > 11
                                              else 0)
    keep = set(digits[:max(skip, 0) + 3]) | set(digits[-4:])
    return "".join(ch if (i in keep or not ch.isdigit()) else "*" for i, ch in enumerate(phone))
