"""A throwaway in-process index with the live index's semantics, for the CLI and benchmarks."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from dedupe.ranking import DEFAULT_MAX_CANDIDATES, rank_postings
from dedupe.types import Candidate

DEFAULT_POSTINGS_CAP = 200


class MemoryIndex:
    """Blocking key → most recent report ids (capped per key), and each report's case and fingerprint.

    Candidates are chosen exactly as `gateway.dedupe_index.find_candidates` chooses them (`rank_postings`),
    so the CLI's figures are the live engine's. Report ids must grow with arrival, as ticket ids do.
    """

    def __init__(self, postings_cap: int = DEFAULT_POSTINGS_CAP, max_candidates: int = DEFAULT_MAX_CANDIDATES):
        self.postings_cap = postings_cap
        self.max_candidates = max_candidates
        self.postings: dict[str, list[int]] = {}
        self.reports: dict[int, Candidate] = {}

    def add(self, report_id: int, case_id: int, received_at: datetime, keys: Iterable[str],
            fingerprint: Mapping[str, Any]) -> None:
        """Index a report under its keys; a full posting list forgets its oldest report (as the gateway does)."""
        self.reports[report_id] = Candidate(case_id, report_id, received_at, fingerprint)
        postings, cap = self.postings, self.postings_cap
        for key in dict.fromkeys(keys):
            posting = postings.get(key)
            if posting is None:
                postings[key] = [report_id]  # most keys are never shared: a list is cheaper than a deque
            else:
                posting.append(report_id)
                if len(posting) > cap:
                    del posting[0]

    def candidates(self, keys: Iterable[str]) -> list[Candidate]:
        """The `max_candidates` indexed reports sharing the most keys (newest first among equals)."""
        postings = self.postings
        # A key listed n times counts n times (the deduper weighs a door number's key so); listed once, once.
        ids = rank_postings([postings[k] for k in keys if k in postings], self.max_candidates)
        return list(map(self.reports.__getitem__, ids))

    def __len__(self) -> int:
        return len(self.reports)
