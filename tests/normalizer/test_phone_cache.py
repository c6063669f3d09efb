"""The cached phone parse (`normalizer.pii.valid_number`) gives what parsing each time gave, in both of its users:
the normalizer's `to_e164` and the channels' `parse_phone`, whose earlier code is kept here as the reference."""
from __future__ import annotations

import phonenumbers
import pytest

from channels.phone import _TYPES, Phone, _is_service, _parse, parse_phone
from normalizer.pii import to_e164, valid_number

NUMBERS = ["13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000", "8613800138000", "027-85761234",
           "02785761234", "85761234", "12345", "110", "10086", "95588", "4008123123", "800-810-8888",
           "10690000123456", "+8610690000123456", "tel:+8613800138000", "TEL: 13800138000", "+14155550123",
           "+442071838750", "1380013800", "138001380001", "abc", "", "  ", "+", "++86", "whatsapp:+8613800138000",
           "１３８００１３８０００", "13800138000 ext. 12", "0" * 30, "1" * 70, "+86 (10) 6552 9988"]


def _old_parse_phone(raw, region="CN"):
    """channels.phone.parse_phone before the cache (commit f5344c4)."""
    import re
    raw = (raw or "").strip()[:64]
    text = raw[4:].strip() if raw.lower().startswith("tel:") else raw
    digits = re.sub(r"\D", "", text)
    if not digits or re.search(r"[A-Za-z]", text):
        return Phone(raw, "invalid")
    number = _parse(text, region)
    if number is not None and phonenumbers.is_valid_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        kind = _TYPES.get(phonenumbers.number_type(number), "other")
        return Phone(raw, kind, e164, phonenumbers.region_code_for_number(number))
    if _is_service(text, digits, number, region):
        return Phone(raw, "service", None, region)
    return Phone(raw, "invalid")


def _old_to_e164(raw, region="CN"):
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize("region", ["CN", "US"])
def test_cached_parse_answers_as_parsing_each_time(region):
    valid_number.cache_clear()
    for _ in range(2):   # cold, then from the cache
        for raw in NUMBERS:
            assert parse_phone(raw, region) == _old_parse_phone(raw, region), raw
            assert to_e164(raw.strip(), region) == _old_to_e164(raw.strip(), region), raw
    assert valid_number.cache_info().hits > 0
