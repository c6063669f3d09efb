"""Quiet hours and notice texts: pure functions, with frozen times."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from channels.notices import parse_quiet_hours, quiet_until, render_notice

ZONE = ZoneInfo("Asia/Shanghai")
NIGHT = parse_quiet_hours("22:00-08:00")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


@pytest.mark.parametrize("now, until", [
    ("2026-03-02T21:59:59", None),
    ("2026-03-02T22:00:00", "2026-03-03T08:00:00"),
    ("2026-03-02T23:30:00", "2026-03-03T08:00:00"),
    ("2026-03-03T00:10:00", "2026-03-03T08:00:00"),
    ("2026-03-03T07:59:59", "2026-03-03T08:00:00"),
    ("2026-03-03T08:00:00", None),
    ("2026-12-31T23:00:00", "2027-01-01T08:00:00"),
])
def test_the_default_night_window(now, until):
    assert quiet_until(local(now), NIGHT) == (local(until) if until else None)


def test_a_daytime_window_and_none():
    lunch = parse_quiet_hours("12:00-13:30")
    assert quiet_until(local("2026-03-02T12:45:00"), lunch) == local("2026-03-02T13:30:00")
    assert quiet_until(local("2026-03-02T13:30:00"), lunch) is None
    assert quiet_until(local("2026-03-02T23:00:00"), parse_quiet_hours("")) is None


@pytest.mark.parametrize("bad", ["22-08", "22:00", "nights", "22:00-8"])
def test_bad_quiet_hours_are_refused(bad):
    with pytest.raises(ValueError):
        parse_quiet_hours(bad)


def test_a_notice_names_every_reference_and_asks_for_a_rating_when_told_to():
    text = render_notice({}, template="resolved", status="resolved", references=["K7QM4-XP2HD", "M3RT8-PL2QA"],
                         city="武汉", unit="江汉区城管局", message="已修复", asks_rating=True)
    assert "K7QM4-XP2HD、M3RT8-PL2QA" in text and "江汉区城管局" in text and "已修复" in text
    assert text.endswith("请回复数字评价：1 满意，2 基本满意，3 不满意。")
    plain = render_notice({"accepted": "{references}：{status}{unit_part}"}, template="accepted", status="accepted",
                          references=["K7QM4-XP2HD"], city="武汉", unit=None, message=None, asks_rating=False)
    assert plain == "K7QM4-XP2HD：已受理"
