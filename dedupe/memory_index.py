"""A throwaway in-process index with the gateway's semantics, for the CLI and benchmarks."""
from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Any, Iterable, Mapping

from dedupe.types import Candidate


class MemoryIndex:
    """Blocking key → most recent report ids (capped per key), and each report's case and fingerprint."""

    def __init__(self, postings_cap: int = 200, max_candidates: int = 400):
        self.postings_cap = postings_cap
        self.max_candidates = max_candidates
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
        """Indexed reports sharing at least one key, once each, the newest `max_candidates` of them."""
        ids: set[int] = set()
        for key in keys:
            ids.update(self.postings.get(key, ()))
        # Report ids grow with arrival (the CLI numbers reports in time order), so the largest are the newest.
        chosen = sorted(ids)[-self.max_candidates:] if len(ids) > self.max_candidates else sorted(ids)
        out = []
        for report_id in chosen:
            case_id, received_at, fingerprint = self.reports[report_id]
            out.append(Candidate(case_id, report_id, received_at, fingerprint))
        return out

    def __len__(self) -> int:
        return len(self.reports)
