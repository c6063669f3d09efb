"""Dedupe: decide, for each normalized ticket, a new case or the case it joins (plain Python).

The gateway keeps the index (database or Redis) and calls a `Deduper` for the pure parts:
`fingerprint` (what is stored per report), `blocking_keys` (how candidates are found without a scan)
and `decide` (which candidate, if any, with the evidence).
"""
from dedupe.engine import Deduper
from dedupe.exact import ExactRepeatDeduper
from dedupe.memory_index import MemoryIndex
from dedupe.types import Candidate, Decision

__all__ = ["Candidate", "Decision", "Deduper", "ExactRepeatDeduper", "MemoryIndex"]
