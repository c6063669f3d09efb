"""channels/phone.py: sender numbers to E.164, service numbers recognised, invalid numbers kept raw."""
from __future__ import annotations

import pytest

from channels.phone import is_service_number, mask_phone, parse_phone

CASES = {
    "13800138000": ("mobile", "+8613800138000"),
    "+8613800138000": ("mobile", "+8613800138000"),
    "+86 138 0013 8000": ("mobile", "+8613800138000"),
    "008613800138000": ("mobile", "+8613800138000"),
    "8613800138000": ("mobile", "+8613800138000"),
    "138-0013-8000": ("mobile", "+8613800138000"),
    "tel:+8613800138000": ("mobile", "+8613800138000"),
    "027-88886666": ("landline", "+862788886666"),
    "02788886666": ("landline", "+862788886666"),
    "(027) 8888 6666": ("landline", "+862788886666"),
    "+86 27 8888 6666": ("landline", "+862788886666"),
    "010-65123456": ("landline", "+861065123456"),
    "+14155550100": ("mobile_or_landline", "+14155550100"),
    "12345": ("service", None),
    "95588": ("service", None),
    "95013": ("service", None),
    "110": ("service", None),
    "120": ("service", None),
    "10086": ("service", None),
    "12315": ("service", None),
    "+8612345": ("service", None),
    "106901234567": ("service", None),
    "1380013800": ("invalid", None),
    "138001380001": ("invalid", None),
    "CMBCHINA": ("invalid", None),
    "": ("invalid", None),
    "+86138001": ("invalid", None),
    "4006001234": ("service", "+864006001234"),
    "8008101234": ("service", "+868008101234"),
}


@pytest.mark.parametrize("raw", sorted(CASES))
def test_parse(raw):
    kind, e164 = CASES[raw]
    phone = parse_phone(raw, "CN")
    assert (phone.kind, phone.e164) == (kind, e164)
    assert phone.raw == raw.strip()
    assert phone.is_citizen == (e164 is not None and kind != "service")
    if e164 is None or kind == "service":
        assert not phone.is_citizen


def test_service_numbers_are_never_citizens():
    assert all(is_service_number(n) for n in ("12345", "95588", "110", "119", "10086"))
    assert not is_service_number("13800138000")


def test_default_region_comes_from_the_profile():
    assert parse_phone("020 7946 0958", "GB").e164 == "+442079460958"
    assert parse_phone("13800138000", "GB").kind == "invalid"


def test_masking():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("+8613800138000") == "+86138****8000"
    assert parse_phone("13800138000").masked == "+86138****8000"
    assert "0013" not in mask_phone("+8613800138000")
    assert mask_phone("") == ""
