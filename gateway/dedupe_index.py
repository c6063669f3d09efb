"""The dedupe index in the ticket store, shared by every worker: blocking keys → reports → cases."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection

from dedupe.exact import Candidate
from gateway.tables import cases, dedupe_keys, dedupe_reports

# Candidates fetched per decision: enough for the deduper to choose, few enough to keep the cost flat.
MAX_CANDIDATES = 200


def lock_keys(conn: Connection, keys: Iterable[str]) -> None:
    """Serialize decisions that could find each other: two duplicates handled at once must see each other.

    On PostgreSQL a transaction-scoped advisory lock per key (in a fixed order, so no deadlock); SQLite
    transactions are already serialized by BEGIN IMMEDIATE.
    """
    if conn.dialect.name != "postgresql":
        return
    for number in sorted({int.from_bytes(hashlib.sha256(k.encode()).digest()[:8], "big", signed=True)
                          for k in keys}):
        conn.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})


def find_candidates(conn: Connection, keys: list[str]) -> list[Candidate]:
    """Indexed reports sharing a key, newest first, whose case can still take reports."""
    if not keys:
        return []
    rows = conn.execute(
        select(dedupe_reports.c.ticket_id, dedupe_reports.c.case_id, dedupe_reports.c.received_at,
               dedupe_reports.c.fingerprint)
        .join(dedupe_keys, dedupe_keys.c.ticket_id == dedupe_reports.c.ticket_id)
        .join(cases, cases.c.id == dedupe_reports.c.case_id)
        .where(dedupe_keys.c.key.in_(keys), cases.c.status != "merged")
        .order_by(dedupe_keys.c.received_at.desc()).limit(MAX_CANDIDATES)).all()
    seen: dict[int, Candidate] = {}
    for row in rows:
        seen.setdefault(row.ticket_id, Candidate(row.case_id, row.ticket_id, row.received_at, row.fingerprint))
    return list(seen.values())


def add_to_index(conn: Connection, *, ticket_id: int, case_id: int, received_at: datetime, keys: list[str],
                 fingerprint: Mapping[str, Any]) -> None:
    """Index one report under its keys."""
    conn.execute(insert(dedupe_reports).values(ticket_id=ticket_id, case_id=case_id, received_at=received_at,
                                                fingerprint=dict(fingerprint)))
    if keys:
        conn.execute(insert(dedupe_keys), [{"key": k, "ticket_id": ticket_id, "received_at": received_at}
                                           for k in dict.fromkeys(keys)])
