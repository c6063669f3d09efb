"""The `[notify]` profile table checked at start-up, so a bad value stops the process instead of a notice job."""
from __future__ import annotations

from channels.notices import parse_quiet_hours
from config import Settings
from config.settings import ConfigError


def check_notify_profile(settings: Settings) -> None:
    """Raise ConfigError for a `[notify] quiet_hours` that is not `HH:MM-HH:MM` (or empty)."""
    try:
        parse_quiet_hours(settings.section("notify").get("quiet_hours"))
    except ValueError as exc:
        raise ConfigError(f"[notify] {exc}") from exc
