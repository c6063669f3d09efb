"""The two types every deduper speaks: the candidate it is offered and the decision it returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping


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
