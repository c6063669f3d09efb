"""Times as callers give them."""
from datetime import datetime, timedelta, timezone

import pytest

from channels.times import parse_time, plausible_time

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text,expected", [
    ("2026-11-28T10:00:00+08:00", datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)),
    ("2026-11-28 10:00:00", datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)),      # no offset: the city's zone
    ("2019/4/25 9:32:09", datetime(2019, 4, 25, 1, 32, 9, tzinfo=timezone.utc)),     # message-board export form
    ("2026-11-28T02:00:00Z", datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)),
])
def test_parse_time(text, expected):
    assert parse_time(text, "Asia/Shanghai") == expected


@pytest.mark.parametrize("claimed,kept", [
    (NOW - timedelta(seconds=20), True),      # a WeChat retry of a message sent 20 s ago keeps its time
    (NOW + timedelta(hours=3), False),        # a clock ahead of ours
    (NOW - timedelta(days=400), False),       # a forged or broken CreateTime
])
def test_plausible_time(claimed, kept):
    assert plausible_time(claimed, NOW) == (claimed if kept else NOW)
