"""Accept a submission: claim its idempotency key, store raw payload and ticket in one transaction, enqueue.

The caller is answered only after the commit, and never waits for anything after it.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

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
        try:
            with runtime.engine.begin() as conn:
                ticket_id = conn.execute(insert(tickets).values(
                    reference=ticket.reference, channel=ticket.channel, source=ticket.source, status="received",
                    citizen=ticket.citizen, received_at=ticket.received_at, created_at=now, updated_at=now,
                    priority="urgent" if ticket.urgent else "normal", data=ticket.to_dict(),
                ).returning(tickets.c.id)).scalar_one()
                # The unique (channel, idem_key) makes this insert the claim: a concurrent twin fails here
                # and its whole transaction, ticket included, is rolled back.
                conn.execute(insert(submissions).values(
                    channel=channel, idem_key=idem_key, body_hash=digest, raw=raw, response_status=201,
                    response_body=body, ticket_id=ticket_id, created_at=now))
        except IntegrityError:
            repeat = _repeat(runtime, channel, idem_key, digest)
            if repeat:
                return repeat
            continue  # a reference collision (about 1 in 10^14): draw another
        runtime.queue.enqueue("normalize_ticket", ticket_id, urgent=ticket.urgent)
        return Acceptance(201, body, ticket_id, True)
    raise RuntimeError("could not store the submission")
