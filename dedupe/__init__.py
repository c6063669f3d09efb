"""Dedupe: decide, for each normalized ticket, a new case or the case it joins (plain Python).

The gateway keeps the index (database or Redis) and calls a `Deduper` for the pure parts:
`fingerprint` (what is stored per report), `blocking_keys` (how candidates are found without a scan)
and `decide` (which candidate, if any, with the evidence).
"""
from dedupe.exact import ExactRepeatDeduper, Decision

__all__ = ["Decision", "ExactRepeatDeduper"]
