"""Shared fixtures for the normalizer tests: the Wuhan profile, one Normalizer, and a ticket builder."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from config.settings import load_profile
from normalizer.normalize import Normalizer
from normalizer.ticket import new_ticket

CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="session")
def profile():
    """The default (Wuhan) city profile as the gateway loads it."""
    return load_profile(None)


@pytest.fixture(scope="session")
def normalizer(profile):
    """One Normalizer for the whole session, as the gateway builds one at start-up."""
    return Normalizer(profile)


@pytest.fixture
def make_ticket():
    """Build a ticket through the adapters' constructor; keyword arguments override the defaults."""
    def build(text="路灯坏了", **details):
        details.setdefault("channel", "app")
        details.setdefault("external_id", "t-1")
        details.setdefault("received_at", datetime(2024, 3, 4, 10, 30, tzinfo=CST))
        return new_ticket(text=text, **details)
    return build
