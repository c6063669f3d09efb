"""Dedupe: decide, for each normalized ticket, a new case or the case it joins (plain Python).

The gateway keeps the index (database or Redis) and calls a deduper for the pure parts:
`fingerprint` (what is stored per report), `blocking_keys` (how candidates are found without a scan)
and `decide` (which candidate, if any, with the evidence). Two engines: `Deduper` (rules: suffix names, MinHash
similarity, hand-set weights; the default) and `FittedDeduper` (IDF-weighted bigrams and a fitted model), chosen
by the profile's `[dedupe] engine` ("rules" or "fitted").
"""
from typing import Any, Mapping

from dedupe.engine import Deduper
from dedupe.exact import ExactRepeatDeduper
from dedupe.fitted import FittedDeduper
from dedupe.memory_index import MemoryIndex
from dedupe.types import Candidate, Decision

ENGINES = {"rules": Deduper, "fitted": FittedDeduper}


def make_deduper(profile: Mapping[str, Any] | None = None):
    """The deduper the profile's `[dedupe] engine` names (default "rules")."""
    name = str(((profile or {}).get("dedupe") or {}).get("engine", "rules"))
    if name not in ENGINES:
        raise ValueError(f"[dedupe] engine must be one of {sorted(ENGINES)}, not {name!r}")
    return ENGINES[name](profile)


__all__ = ["Candidate", "Decision", "Deduper", "ExactRepeatDeduper", "FittedDeduper", "MemoryIndex",
           "make_deduper"]
