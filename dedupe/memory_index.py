"""A throwaway in-process index with the gateway's semantics, for the CLI and benchmarks."""
from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Any, Iterable, Mapping

from dedupe.types import Candidate


class MemoryIndex:
    """Blocking key → most recent report ids (capped per key), and each report's case and fingerprint."""

    def __init__(self, postings_cap: int = 200):
        self.postings_cap = postings_cap
        self.postings: dict[str, deque[int]] = {}
        self.reports: dict[int, tuple[int, datetime, Mapping[str, Any]]] = {}

    def add(self, report_id: int, case_id: int, received_at: datetime, keys: Iterable[str],
            fingerprint: Mapping[str, Any]) -> None:
        """Index a report under its keys; a full posting list forgets its oldest report (as the gateway does)."""
        self.reports[report_id] = (case_id, received_at, fingerprint)
        for key in keys:
            posting = self.postings.get(key)
            if posting is None:
                posting = self.postings[key] = deque(maxlen=self.postings_cap)
            posting.append(report_id)

    def candidates(self, keys: Iterable[str]) -> list[Candidate]:
        """Every indexed report sharing at least one key, once each."""
        seen: set[int] = set()
        out: list[Candidate] = []
        for key in keys:
            for report_id in self.postings.get(key, ()):
                if report_id in seen:
                    continue
                seen.add(report_id)
                case_id, received_at, fingerprint = self.reports[report_id]
                out.append(Candidate(case_id, report_id, received_at, fingerprint))
        return out

    def __len__(self) -> int:
        return len(self.reports)
