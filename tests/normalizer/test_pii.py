"""Phone numbers and masking."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from normalizer.pii import _ID_CARD, _PHONE, _matches, _runs, find_phones, mask_phone, mask_pii, to_e164


@pytest.mark.parametrize("raw, masked", [
    ("13800138000", "138****8000"),
    ("+8613800138000", "+86138****8000"),
    ("027-85551234", "027-****1234"),
    ("138 0013 8000", "138 **** 8000"),
    ("12345", "*****"),
    ("", ""),
])
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


def test_mask_pii_masks_phones_and_id_cards():
    text = "我电话13800138000,身份证420102199003071234,座机027-85551234"
    assert mask_pii(text) == "我电话138****8000,身份证4201**********1234,座机027-****1234"


def test_mask_pii_leaves_other_numbers():
    assert mask_pii("2019年4月,水4.23一吨,编号12345678") == "2019年4月,水4.23一吨,编号12345678"


@pytest.mark.parametrize("raw, e164", [
    ("13800138000", "+8613800138000"),
    ("+86 138 0013 8000", "+8613800138000"),
    ("027-85551234", "+862785551234"),
    ("12345678901", None),
    ("abc", None),
])
def test_to_e164(raw, e164):
    assert to_e164(raw, "CN") == e164


def test_find_phones_merges_contact_and_text():
    phones = find_phones("打13800138000或者138-0013-8000,也可以打02785551234", contact_phone="13800138000")
    assert phones == [
        {"raw": "13800138000", "e164": "+8613800138000", "source": "contact"},
        {"raw": "02785551234", "e164": "+862785551234", "source": "text"},
    ]


def test_find_phones_ignores_numbers_inside_id_cards():
    assert find_phones("身份证号420102199003071234") == []


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789 +-Xx8613420号电话,\n")), max_size=60))
def test_searching_number_runs_finds_what_a_full_search_finds(text):
    for pattern in (_PHONE, _ID_CARD):
        assert [m.span() for m in _matches(pattern, text, _runs(text))] == [m.span() for m in pattern.finditer(text)]
