"""The first deduper: only exact repeats (same citizen, same comparison text, within a window)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from dedupe.types import Candidate, Decision
from normalizer.ticket import Ticket

__all__ = ["Candidate", "Decision", "ExactRepeatDeduper"]


class ExactRepeatDeduper:
    """Merges a report into a case only when the same citizen sent the same text within the window."""

    def __init__(self, profile: Mapping[str, Any] | None = None):
        hours = (profile or {}).get("dedupe", {}).get("exact_window_hours", 72)
        self.window = timedelta(hours=hours)

    def fingerprint(self, ticket: Ticket) -> dict[str, Any]:
        """What the index keeps per report (JSON-safe), from the normalized ticket."""
        compare_text = (ticket.normalized or {}).get("compare_text") or ticket.text
        if not ticket.citizen:
            return {"exact": None}
        digest = hashlib.sha256(f"{ticket.citizen}\x1f{compare_text}".encode()).hexdigest()[:32]
        return {"exact": digest}

    def blocking_keys(self, fingerprint: Mapping[str, Any]) -> list[str]:
        """Index keys under which this report is found; reports sharing a key are candidates."""
        return [f"x:{fingerprint['exact']}"] if fingerprint.get("exact") else []

    def decide(self, fingerprint: Mapping[str, Any], received_at: datetime,
               candidates: Iterable[Candidate]) -> Decision:
        """The newest candidate with the same exact key within the window, else a new case."""
        best = None
        for cand in candidates:
            if fingerprint.get("exact") and cand.fingerprint.get("exact") == fingerprint["exact"] \
                    and abs(received_at - cand.received_at) <= self.window:
                if best is None or cand.received_at > best.received_at:
                    best = cand
        if best is None:
            return Decision(None, 0.0, {"rule": "no exact repeat"})
        return Decision(best.case_id, 1.0, {"rule": "exact repeat", "same_citizen": True,
                                            "matched_report": best.report_id,
                                            "window_hours": self.window.total_seconds() / 3600})
