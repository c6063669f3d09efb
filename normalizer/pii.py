"""Phone numbers (raw and E.164) and personal-data masking for texts shown in logs and console lists."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable

import phonenumbers

# Chinese mobiles (1[3-9]x xxxx xxxx) and landlines (0xx(x)-xxxxxxx(x)), with optional +86 and separators.
# phonenumbers' own matcher is exact but slow (hundreds of µs per text); this finds candidates, it validates them.
_PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8})(?!\d)")
# Resident ID cards: 18 characters (last may be X) with a plausible birth date, or the old 15-digit form.
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(?:[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
                      r"[\dXx]|[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})(?![\dA-Za-z])")


def mask_phone(phone: str) -> str:
    """A phone number with its middle digits hidden: 13800138000 → 138****8000, +8613800138000 → +86138****8000."""
    if not phone:
        return ""
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) < 7:
        return "*" * len(phone)
    # Keep a country code in view, then three digits of the number and the last four.
    skip = 2 if phone.startswith("+86") else 0
    keep = set(digits[:skip + 3]) | set(digits[-4:])
    return "".join(ch if (i in keep or not ch.isdigit()) else "*" for i, ch in enumerate(phone))


def mask_id_card(number: str) -> str:
    """An ID-card number with only its first four and last four characters shown."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


# A phone or ID number is made of digits, spaces, '+', '-' and X, and is at least ten characters long. The full
# patterns (a look-behind at every position of the text, ~25 µs a report) are tried only inside such runs, which
# most texts do not have; their look-arounds still see the characters around the run.
_NUMBER_RUN = re.compile(r"[\d+][\d\s+\-Xx]{9,}")


def _runs(text: str) -> list[tuple[int, int]]:
    # The end is one past the run, so that a look-ahead sees the character that ends it.
    return [(run.start(), run.end() + 1) for run in _NUMBER_RUN.finditer(text)]


def _matches(pattern: re.Pattern, text: str, runs: list[tuple[int, int]]) -> list[re.Match]:
    """pattern.finditer(text), searched only inside `runs` (the number runs of `text`)."""
    found: list[re.Match] = []
    for start, end in runs:
        found.extend(pattern.finditer(text, start, end))
    return found


def _sub(pattern: re.Pattern, replace, text: str, runs: list[tuple[int, int]]) -> str:
    """pattern.sub(replace, text), searched only inside `runs` (the number runs of `text`)."""
    matches = _matches(pattern, text, runs)
    if not matches:
        return text
    parts, position = [], 0
    for match in matches:
        parts.append(text[position:match.start()])
        parts.append(replace(match.group()))
        position = match.end()
    parts.append(text[position:])
    return "".join(parts)


def mask_pii(text: str | None) -> str:
    """`text` with ID-card numbers and phone numbers masked (for logs and console lists)."""
    if not text:
        return ""
    runs = _runs(text)
    if not runs:
        return text
    masked = _sub(_ID_CARD, mask_id_card, text, runs)
    if masked is not text:
        runs = _runs(masked)   # the phone pattern sees the text with ID numbers already masked
    return _sub(_PHONE, mask_phone, masked, runs)


@lru_cache(maxsize=4096)
def valid_number(raw: str, region: str = "CN") -> tuple[str, int, str | None] | None:
    """(E.164, phonenumbers' number type, region code) of a valid phone number, else None.

    Cached: a ticket's contact phone is parsed by the normalizer (`find_phones`) and again, moments later, by the
    pipeline's citizen links (`channels.phone.parse_phone`), ~35 µs each; the answer depends on the text alone."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            phonenumbers.number_type(number), phonenumbers.region_code_for_number(number))


def to_e164(raw: str, region: str = "CN") -> str | None:
    """E.164 form of a phone number when it is a valid number, else None."""
    facts = valid_number(raw, region)
    return facts[0] if facts else None


def find_phones(text: str, contact_phone: str | None = None, region: str = "CN") -> list[dict[str, Any]]:
    """[{"raw", "e164", "source"}] for the contact's phone and the numbers in `text`, without repeats."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(raw: str, source: str) -> None:
        raw = raw.strip()
        e164 = to_e164(raw, region)
        key = e164 or re.sub(r"\D", "", raw)
        if raw and key not in seen:
            seen.add(key)
            found.append({"raw": raw, "e164": e164, "source": source})

    if contact_phone and contact_phone.strip():
        add(contact_phone[:40], "contact")
    for match in _candidates(text):
        add(match, "text")
    return found


def _candidates(text: str) -> Iterable[str]:
    if not text:
        return ()
    runs = _runs(text)
    if not runs:
        return ()
    ids = [m.span() for m in _matches(_ID_CARD, text, runs)]
    return [m.group() for m in _matches(_PHONE, text, runs)
            if not any(a <= m.start() < b for a, b in ids)]
