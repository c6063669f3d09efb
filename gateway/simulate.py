"""`python -m gateway simulate CHANNEL TEXT`: one correctly signed message to a running gateway, as the channel's
sender would post it, with the gateway's own configuration (.env and the environment), and the reply the citizen
would see.

Each channel package offers its simulators in its `ChannelSpec.simulators` (name → function); this module holds
what they share: the HTTP call, the outcome, and reading the gateway's refusals. Signing uses the providers' own
libraries where they offer it, so a try here fails for the same reasons a real push would.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import requests

from config import Settings

TIMEOUT = 15


class SimulationError(Exception):
    """The message could not be sent (channel off here, no key, nobody listening): one line for the user."""


@dataclass
class Outcome:
    """What the gateway answered: its HTTP status and the reply as the citizen (or the provider) sees it."""

    status: int
    reply: str
    ok: bool


# fn(settings, base URL, text, sender or None for the channel's made-up one) -> Outcome
Simulator = Callable[[Settings, str, str, "str | None"], Outcome]


def post(url: str, **kwargs) -> requests.Response:
    """POST to the gateway; SimulationError (one line) when nobody answers."""
    try:
        return requests.post(url, timeout=TIMEOUT, **kwargs)
    except requests.ConnectionError as exc:
        if "refused" not in str(exc).lower():
            raise SimulationError(f"the connection to {url} failed: {exc}") from None
        raise SimulationError(f"no gateway answers at {url}: start one with `python -m gateway serve`, or give "
                              f"its address with --url") from None
    except requests.Timeout:
        raise SimulationError(f"the gateway at {url} did not answer within {TIMEOUT} s") from None


def json_body(response: requests.Response) -> dict:
    """The response's JSON object, or {} when it is none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_text(response: requests.Response) -> str:
    """The gateway's explanation of a refusal: its JSON message, the comment in an error TwiML, or the body."""
    body = json_body(response)
    if body.get("message"):
        return f"{body.get('error', '')}: {body['message']}".lstrip(": ")
    comment = re.search(r"<!--\s*(.*?)\s*-->", response.text)
    return comment.group(1) if comment else response.text.strip()[:500]


def simulators() -> dict[str, Simulator]:
    """Every registered channel's simulators, by the name `simulate` takes."""
    from gateway.registry import CHANNELS

    found: dict[str, Simulator] = {}
    for spec in CHANNELS:
        found.update(spec.simulators)
    return found


def simulate(channel: str, text: str, settings: Settings, url: str | None = None,
             sender: str | None = None) -> Outcome:
    """Send `text` on `channel` to the gateway at `url` (default GATEWAY_PUBLIC_URL); the gateway's answer."""
    available = simulators()
    if channel not in available:
        raise SimulationError(f"no simulator for {channel!r}; one of: {', '.join(sorted(available))}")
    return available[channel](settings, (url or settings.public_url).rstrip("/"), text, sender)
