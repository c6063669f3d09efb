"""Reply deadline: N working days after receipt on China's official calendar (调休 weekends and holidays)."""
from __future__ import annotations

import logging
from functools import lru_cache
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

# Cached: the library scans its holiday tables on every call, and a deadline asks about the same few weeks.
# chinesecalendar only knows the years the State Council has published; a warning per unknown year is enough.
_warned_years: set[int] = set()


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """True on an official working day; plain Monday to Friday for a year the calendar does not know."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("official calendar has no data for %s; counting Monday to Friday as working days",
                        day.year)
        return day.weekday() < 5


# Sized for every receipt date of several years: a batch re-normalizing old reports would otherwise cycle through
# more dates than the cache holds and miss every time.
@lru_cache(maxsize=8192)
def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (`start` itself does not count)."""
    day = start
    remaining = max(0, days)
    # Bounded: even a year of holidays cannot need more than this many steps.
    for _ in range(days * 7 + 400):
        if remaining == 0:
            break
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


@lru_cache(maxsize=64)
def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except Exception:   # a bad zone name in a profile must not stop normalization
        return ZoneInfo("Asia/Shanghai")


def due_at(received_at: datetime, working_days: int, timezone: str = "Asia/Shanghai") -> str:
    """ISO 8601 deadline: the same local clock time `working_days` working days after `received_at`."""
    try:
        zone = _zone(timezone)
    except TypeError:   # an unhashable value is no zone name either
        zone = _zone("Asia/Shanghai")
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=zone)
    local = received_at.astimezone(zone)
    day = add_working_days(local.date(), working_days)
    try:
        deadline = local.replace(year=day.year, month=day.month, day=day.day)
    except ValueError:
        deadline = local
    return deadline.isoformat(timespec="seconds")
