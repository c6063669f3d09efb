"""The two types every deduper speaks: the candidate it is offered and the decision it returns."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Mapping


@dataclass
class Decision:
    """A case to join (None: open a new case), with the evidence that decided it."""

    case_id: int | None
    score: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Candidate:
    """An indexed report offered for comparison: its case, when it came and its fingerprint."""

    case_id: int
    report_id: int
    received_at: datetime
    fingerprint: Mapping[str, Any]


class StoredFingerprint(Mapping):
    """A fingerprint as the store keeps it (its JSON text), parsed only when first looked into.

    Most candidates of a decision are judged from the deduper's decoded cache, which knows a report's fingerprint
    by this text (a string comparison), so their JSON is never parsed; the one a decision shows is.
    """

    __slots__ = ("text", "_parsed")

    def __init__(self, text: str):
        self.text = text
        self._parsed: dict[str, Any] | None = None

    def _dict(self) -> dict[str, Any]:
        if self._parsed is None:
            self._parsed = json.loads(self.text)
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        return self._dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._dict().get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())

    def __repr__(self) -> str:
        return f"StoredFingerprint({self.text!r})"
