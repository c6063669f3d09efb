"""Times as callers give them: ISO 8601, or the message-board export form; no offset means the city's zone.

Channels, the normalizer and dedupe's offline tools all read times here (channels/times.py re-exports it).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_BOARD = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_time(text: str, zone: str = "Asia/Shanghai") -> datetime:
    """An aware datetime from ISO 8601 or `YYYY/M/D H:MM:SS`; raises ValueError on anything else."""
    text = text.strip()
    match = _BOARD.match(text)
    if match:
        year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
        value = datetime(year, month, day, hour, minute, second)
    else:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        # Year 1 east of UTC or year 9999 west of it: no such instant in UTC, where the store keeps every time.
        raise ValueError(f"{text!r} is out of range") from None
    return value


def plausible_time(claimed: datetime, now: datetime, max_age: timedelta = timedelta(days=1)) -> datetime:
    """The sender's own time for a message if it is believable (not ahead of us, not older than `max_age`),
    else `now`: a report's time must not be set by a wrong clock or a forged field."""
    return claimed if now - max_age <= claimed <= now else now
