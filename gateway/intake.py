"""Accept a submission: claim its idempotency key, store raw payload and ticket in one transaction, enqueue.

The caller is answered only after the commit, and never waits for anything after it.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from gateway.raw_sql import raw_statement
from gateway.references import new_reference
from gateway.runtime import Runtime
from gateway.tables import submissions, tickets
from normalizer.ticket import Ticket

log = logging.getLogger(__name__)


class IdempotencyConflict(Exception):
    """The key was used before with a different body."""


@dataclass
class Acceptance:
    status: int            # 201 for a new ticket, 200 for a repeat
    body: dict[str, Any]   # the answer (the first answer, for a repeat)
    ticket_id: int | None
    created: bool


def json_body_hash(raw: bytes) -> str:
    """A hash of a (valid) JSON body that ignores key order and spacing: a re-serialized retry is a repeat."""
    canonical = json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def raw_hash(raw: bytes) -> str:
    """A hash of raw bytes, for bodies that are not JSON."""
    return hashlib.sha256(raw).hexdigest()


def stored_answer(runtime: Runtime, channel: str, key: str, digest: str):
    """The first answer kept for a key seen before, as a row (response_body, ticket_id), else None.

    Raises IdempotencyConflict when the key came with a different body: every channel's repeat check is this one.
    """
    with runtime.engine.connect() as conn:
        row = conn.execute(select(submissions.c.body_hash, submissions.c.response_body, submissions.c.ticket_id)
                           .where(submissions.c.channel == channel, submissions.c.idem_key == key)).first()
    if row is not None and row.body_hash != digest:
        raise IdempotencyConflict(key)
    return row


def _repeat(runtime: Runtime, channel: str, key: str, digest: str) -> Acceptance | None:
    row = stored_answer(runtime, channel, key, digest)
    return Acceptance(200, row.response_body, row.ticket_id, False) if row is not None else None


_TICKET_COLUMNS = ("reference", "channel", "source", "status", "citizen", "received_at", "created_at", "updated_at",
                   "priority", "data")
_CLAIM_COLUMNS = ("channel", "idem_key", "body_hash", "raw", "response_status", "response_body", "created_at")


@lru_cache(maxsize=None)
def _statements(dialect: str):
    """The intake's statements, built once: (ticket insert, claim insert) on SQLite, one statement on PostgreSQL.

    On PostgreSQL the ticket and its claim are one INSERT (the ticket in a data-modifying CTE), run in autocommit:
    a single statement is its own transaction, so the acknowledgement costs one round trip (no BEGIN, no second
    INSERT, no COMMIT) and stays all-or-nothing. SQLite has no INSERT in a CTE: two INSERTs in one transaction.
    """
    ticket_values = {c: bindparam(f"t_{c}", type_=tickets.c[c].type) for c in _TICKET_COLUMNS}
    claim_values = [bindparam(f"s_{c}", type_=submissions.c[c].type) for c in _CLAIM_COLUMNS]
    if dialect == "postgresql":
        new = insert(tickets).values(ticket_values).returning(tickets.c.id).cte("new_ticket")
        return insert(submissions).from_select([*_CLAIM_COLUMNS, "ticket_id"], select(*claim_values, new.c.id)) \
            .returning(submissions.c.ticket_id)
    return (insert(tickets).values(ticket_values).returning(tickets.c.id),
            insert(submissions).values({**dict(zip(_CLAIM_COLUMNS, claim_values)),
                                        "ticket_id": bindparam("s_ticket_id", type_=submissions.c.ticket_id.type)}))


def _store(runtime: Runtime, params: dict[str, Any]) -> int:
    """Store a ticket and its claim atomically; the ticket's id. IntegrityError when the key (or the reference)
    is taken."""
    engine = runtime.engine
    if engine.dialect.name != "postgresql":
        ticket_insert, claim_insert = _statements(engine.dialect.name)
        with engine.begin() as conn:
            ticket_id = conn.execute(ticket_insert, params).scalar_one()
            # The unique (channel, idem_key) makes this insert the claim: a concurrent twin fails here
            # and its whole transaction, ticket included, is rolled back.
            conn.execute(claim_insert, {**params, "s_ticket_id": ticket_id})
        return ticket_id
    # On the driver directly (gateway.raw_sql): SQLAlchemy's execution cost more client CPU than the statement.
    statement = raw_statement(engine, "intake.store", lambda: _statements("postgresql"))
    for attempt in (1, 2):
        try:
            return statement.run(params)[0].ticket_id
        except DBAPIError as exc:
            # A pooled connection that died since its last use (the pool checks only long-idle ones, see
            # gateway.store_deadline): one more try on a fresh one. If the dead one had committed after all,
            # the retry meets the claim and the caller gets the first answer, as for any repeat.
            if attempt == 2 or not exc.connection_invalidated or isinstance(exc, IntegrityError):
                raise
    raise AssertionError("unreachable")


def accept_submission(runtime: Runtime, *, channel: str, idem_key: str, digest: str, raw: bytes, ticket: Ticket,
                      answer: Callable[[str], dict[str, Any]]) -> Acceptance:
    """Store `ticket` once per (channel, idem_key) and enqueue it; a repeat gets the first answer back.

    `answer(reference)` builds the response body, which is stored with the claim so a retry gets it verbatim.
    """
    # No look-up first: the claim itself (the unique insert) finds a repeat, which keeps a new submission,
    # the common case, to one transaction.
    for _ in range(5):
        ticket.reference = new_reference()
        ticket.status = "received"
        body = answer(ticket.reference)
        now = runtime.clock()
        params = {
            "t_reference": ticket.reference, "t_channel": ticket.channel, "t_source": ticket.source,
            "t_status": "received", "t_citizen": ticket.citizen, "t_received_at": ticket.received_at,
            "t_created_at": now, "t_updated_at": now, "t_priority": "urgent" if ticket.urgent else "normal",
            "t_data": ticket.to_dict(),
            "s_channel": channel, "s_idem_key": idem_key, "s_body_hash": digest, "s_raw": raw,
            "s_response_status": 201, "s_response_body": body, "s_created_at": now,
        }
        try:
            ticket_id = _store(runtime, params)
        except IntegrityError:
            repeat = _repeat(runtime, channel, idem_key, digest)
            if repeat:
                return repeat
            continue  # a reference collision (about 1 in 10^14): draw another
        runtime.queue.enqueue("normalize_ticket", ticket_id, urgent=ticket.urgent)
        return Acceptance(201, body, ticket_id, True)
    raise RuntimeError("could not store the submission")
