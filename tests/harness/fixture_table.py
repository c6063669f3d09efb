"""The table every channel's fixtures run through: one row per fixture file, one runner for all channels.

A channel contributes a `ChannelTable`: the settings that switch it on, a `send` that posts a fixture's exact bytes
the way the channel's provider does (signed with the provider's own scheme, at the frozen time), and its rows. The
runner (tests/harness/test_fixture_tables.py) posts each row's fixture to a gateway on SQLite whose clock stands
still at `FROZEN`, with every outside connection refused, and checks the status, the answer and the stored ticket;
then it posts the same bytes again, as a provider retrying does, and checks that nothing new is stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Every table's clock: after every time written in a fixture, so none of them is "from the future".
FROZEN = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
MISSING = object()   # an expected value meaning "this field is absent"


@dataclass(frozen=True)
class Answer:
    """What the gateway answered, as the provider reads it."""

    status: int
    text: str        # the reply a person would read (WeChat's decrypted content, TwiML's <Message>, the JSON body)


@dataclass(frozen=True)
class Row:
    """One fixture file and what posting it must do."""

    fixture: str                                     # `<event>__<variant>.<ext>` in tests/fixtures/<channel>/
    status: int = 200
    tickets: tuple[Mapping[str, Any], ...] = ()      # fields (dotted paths into the wire format) of each ticket
    reply: str | None = None                         # a substring of the answer's text
    headers: Mapping[str, str | None] = field(default_factory=dict)  # request headers to add, or None to drop
    mode: str = ""                                   # a channel's own way of sending (WeChat: "safe")
    repeat_status: int | None = None                 # the answer to the retry; default: `status`
    names_reference: bool = True                     # the answer tells the one stored report's reference

    @property
    def name(self) -> str:
        return f"{self.fixture}{'@' + self.mode if self.mode else ''}"


def ticket(**fields: Any) -> dict[str, Any]:
    """Expected ticket fields; `extra__agent_id=` means the path `extra.agent_id`."""
    return {key.replace("__", "."): value for key, value in fields.items()}


@dataclass(frozen=True)
class ChannelTable:
    """A channel's fixtures, how its provider sends them and the settings that switch it on."""

    channel: str                                     # the fixtures' folder under tests/fixtures/
    send: Callable[[Any, bytes, Row], Answer]        # (Flask test client, fixture bytes, row) -> Answer
    rows: tuple[Row, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    profile: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fixtures: Path | None = None                     # default: tests/fixtures/<channel>/
    # Fixture files that other tests use for what a table cannot say (a broken CSV file, say).
    not_rows: frozenset[str] = frozenset()

    @property
    def folder(self) -> Path:
        return self.fixtures or FIXTURES / self.channel


def pick(data: Any, path: str) -> Any:
    """`data["a"]["b"]` for "a.b"; MISSING when a part is absent."""
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return MISSING
        data = data[part]
    return data
