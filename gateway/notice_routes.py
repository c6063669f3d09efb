"""Who hears of a case update, and how: each channel's spec names the route and recipient of its reports
(`notice_route`) and sends the notices of its routes (`notice_senders`).

A report is reached through the channel it came from, under its own sender identity (`tickets.citizen`, the app's
`contact.user_id`, the partner source): never through an identity it was merely linked to, so a phone number
someone typed into another channel adds no recipient. Reports of one identity in one case share one notice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from gateway.runtime import Runtime


@dataclass(frozen=True)
class Route:
    """How one report's citizen is reached: `route` (wechat | sms | app | partner | callback) and to whom."""

    route: str
    recipient: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """How sending a notice went: `state` sent | retry (temporary: backoff) | failed (permanent: parked) | waiting
    (nothing can go until the citizen writes again) | skipped (the citizen asked for no more)."""

    state: str
    detail: str | None = None


def identity_value(row, kind: str) -> str | None:
    """The value of a ticket's sender identity of this kind (`wechat:o…` → `o…`), or None."""
    prefix = f"{kind}:"
    return row.citizen[len(prefix):] if row.citizen and row.citizen.startswith(prefix) else None


def contact(row) -> dict[str, Any]:
    """The ticket's contact block (the app's and partners' user id and phone)."""
    return (row.data or {}).get("contact") or {}


def route_for(runtime: Runtime, row) -> Route | None:
    """The route of one stored report (a `tickets` row), or None when its channel has no way back."""
    from gateway.registry import CHANNELS
    for spec in CHANNELS:
        if spec.name == row.channel and spec.notice_route is not None:
            return spec.notice_route(runtime, row)
    return None


def sender_for(route: str) -> Callable[[Runtime, Any], Outcome] | None:
    """The function that sends notices of this route (registered by a channel's spec)."""
    from gateway.registry import CHANNELS
    for spec in CHANNELS:
        if route in spec.notice_senders:
            return spec.notice_senders[route]
    return None
