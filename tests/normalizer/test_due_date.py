"""Reply deadline on China's official calendar, with the plain-weekday fallback."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

import pytest

from normalizer.due_date import add_working_days, due_at, is_working_day

CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize("start, days, expected", [
    (date(2024, 3, 4), 7, date(2024, 3, 13)),      # an ordinary week: Monday + 7 working days
    (date(2024, 9, 27), 7, date(2024, 10, 12)),    # Sat 28 Sep and Sat 12 Oct are working; 1-7 Oct are holidays
    (date(2024, 2, 9), 1, date(2024, 2, 18)),      # Spring Festival 10-17 Feb, Sunday 18 Feb is an adjusted working day
    (date(2024, 3, 9), 1, date(2024, 3, 11)),      # received on a Saturday
    (date(2024, 3, 4), 0, date(2024, 3, 4)),
])
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_due_at_keeps_clock_time_and_offset():
    assert due_at(datetime(2024, 9, 27, 10, 0, tzinfo=CST), 7) == "2024-10-12T10:00:00+08:00"


def test_due_at_converts_to_the_city_time_zone():
    # 20:00 UTC on Friday is 04:00 on Saturday in Wuhan.
    assert due_at(datetime(2024, 3, 8, 20, 0, tzinfo=timezone.utc), 1) == "2024-03-11T04:00:00+08:00"


def test_unknown_year_falls_back_to_weekdays_and_warns(caplog):
    with caplog.at_level(logging.WARNING):
        assert is_working_day(date(2099, 1, 1)) is True         # a Thursday
        assert add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)
    assert "2099" in caplog.text


def test_bad_time_zone_does_not_fail():
    assert due_at(datetime(2024, 3, 4, 9, 0, tzinfo=CST), 1, "Mars/Olympus").startswith("2024-03-05T09:00")
