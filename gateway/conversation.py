"""Conversation assembly for chat channels (WeChat, SMS, DingTalk): a citizen's burst of messages is one report.

A message from a citizen within `window` of the report they opened joins that report instead of opening another.
Each (channel, citizen) has one `conversations` row, locked for the whole decision, so two messages of one burst
arriving together are serialized: the first opens the report, the second joins it. The provider's message id is
claimed in `submissions` in the same transaction, exactly as `gateway.intake.accept_submission` claims it (same
table, same stored answer), so a provider retry gets the first reply and changes nothing.

A part joining a report that is not yet in a case updates the stored ticket (a `normalized` one goes back to
`received`, so it is normalized again with the addition); once the report is in a case, the part also reaches the
case system as a `case.updated` event, so nothing sent late is lost.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from gateway.events import add_event
from gateway.intake import stored_answer
from gateway.references import new_reference
from gateway.runtime import Runtime
from gateway.tables import conversation_parts, conversations, submissions, tickets
from gateway.upsert import insert_for
from normalizer.ticket import Attachment, Location, Ticket

log = logging.getLogger(__name__)


@dataclass
class Part:
    """What one message adds to a report."""

    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    location: Location | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stored:
    """The answer to one message: `outcome` is opened | joined | replied | repeat."""

    outcome: str
    body: dict[str, Any]
    ticket_id: int | None = None
    reference: str | None = None


# Jobs to enqueue once the transaction has committed: (job, id, urgent).
Later = list[tuple[str, int, bool]]


def find_repeat(runtime: Runtime, channel: str, idem_key: str, digest: str) -> Stored | None:
    """The stored answer for a key seen before (IdempotencyConflict when the body differs), else None."""
    row = stored_answer(runtime, channel, idem_key, digest)
    if row is None:
        return None
    return Stored("repeat", row.response_body, row.ticket_id, row.response_body.get("reference"))


def _claim(conn: Connection, runtime: Runtime, channel: str, idem_key: str, digest: str, raw: bytes,
           body: dict, status: int, ticket_id: int | None) -> None:
    # The unique (channel, idem_key) makes this insert the claim: a concurrent twin fails here and rolls back.
    conn.execute(insert(submissions).values(
        channel=channel, idem_key=idem_key, body_hash=digest, raw=raw, response_status=status,
        response_body=body, ticket_id=ticket_id, created_at=runtime.clock()))


def _enqueue(runtime: Runtime, later: Later) -> None:
    for job, arg, urgent in later:
        runtime.queue.enqueue(job, arg, urgent=urgent)


def store_reply(runtime: Runtime, *, channel: str, idem_key: str, digest: str, raw: bytes,
                effect: Callable[[Connection, Later], dict[str, Any]]) -> Stored:
    """Run `effect` (which returns the reply body) and claim the key in one transaction; a repeat gets the first.

    For messages that open no report (queries, ratings, events): their reply is kept so a retry gets it verbatim.
    """
    for _ in range(3):
        repeat = find_repeat(runtime, channel, idem_key, digest)
        if repeat:
            return repeat
        later: Later = []
        try:
            with runtime.engine.begin() as conn:
                body = effect(conn, later)
                _claim(conn, runtime, channel, idem_key, digest, raw, body, 200, body.get("ticket_id"))
        except IntegrityError:
            continue  # a twin claimed the key, or won a unique row the effect wanted: look again
        _enqueue(runtime, later)
        return Stored("replied", body, body.get("ticket_id"))
    raise RuntimeError(f"could not store the reply to {channel}:{idem_key}")


def lock_conversation(conn: Connection, channel: str, citizen: str, now: datetime):
    """The citizen's conversation row, created if new and locked until the transaction ends."""
    conn.execute(insert_for(conn, conversations).values(channel=channel, citizen=citizen, updated_at=now)
                 .on_conflict_do_nothing())
    query = select(conversations).where(conversations.c.channel == channel, conversations.c.citizen == citizen)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()  # SQLite: BEGIN IMMEDIATE already serializes writers
    return conn.execute(query).one()


def close_conversation(conn: Connection, channel: str, citizen: str, now: datetime) -> None:
    """The citizen's next message opens a fresh report (menu "report", a "new report" keyword)."""
    lock_conversation(conn, channel, citizen, now)
    conn.execute(update(conversations).where(conversations.c.channel == channel,
                                             conversations.c.citizen == citizen)
                 .values(ticket_id=None, opened_at=None, updated_at=now))


def _merged_data(data: dict[str, Any], part: Part, idem_key: str) -> dict[str, Any]:
    data = dict(data)
    if part.text:
        data["text"] = f"{data['text']}\n{part.text}" if data.get("text") else part.text
    data["attachments"] = list(data.get("attachments") or []) + [asdict(a) for a in part.attachments]
    extra = dict(data.get("extra") or {})
    # A location the citizen sent beats one we borrowed from their last reported position.
    if part.location and (not data.get("location") or extra.get("location_source") == "last_reported"):
        data["location"] = asdict(part.location)
        extra["location_source"] = "message"
    extra["parts"] = list(extra.get("parts") or []) + [{"key": idem_key, **part.extra}]
    data["extra"] = extra
    return data


def _join(conn: Connection, runtime: Runtime, row, part: Part, idem_key: str, channel: str,
          later: Later) -> str:
    """Add the part to the report in `row`; returns how it was applied (data | event)."""
    now = runtime.clock()
    data = _merged_data(row.data, part, idem_key)
    values: dict[str, Any] = {"data": data, "updated_at": now}
    applied_as, event_id = "data", None
    if row.status == "normalized":
        # Not yet in a case: normalize again, so the case system gets the whole report the first time.
        data["status"] = "received"
        values["status"] = "received"
        later.append(("normalize_ticket", row.id, row.priority == "urgent"))
    conn.execute(update(tickets).where(tickets.c.id == row.id).values(**values))
    if row.status in ("in_case", "delivered") and row.case_id is not None:
        fresh = conn.execute(select(tickets).where(tickets.c.id == row.id)).one()
        update_body = {"text": part.text or None, "attachments": [asdict(a) for a in part.attachments],
                       "location": asdict(part.location) if part.location else None}
        event_id = add_event(conn, row.case_id, "case.updated", fresh, extra={"update": update_body})
        applied_as = "event"
        later.append(("deliver_case", row.case_id, row.priority == "urgent"))
    conn.execute(insert(conversation_parts).values(
        ticket_id=row.id, channel=channel, idem_key=idem_key, part={
            "text": part.text, "attachments": [asdict(a) for a in part.attachments],
            "location": asdict(part.location) if part.location else None, "extra": part.extra},
        applied_as=applied_as, event_id=event_id, created_at=now))
    return applied_as


def _open(conn: Connection, runtime: Runtime, ticket: Ticket) -> int:
    now = runtime.clock()
    return conn.execute(insert(tickets).values(
        reference=ticket.reference, channel=ticket.channel, source=ticket.source, status="received",
        citizen=ticket.citizen, received_at=ticket.received_at, created_at=now, updated_at=now,
        priority="urgent" if ticket.urgent else "normal", data=ticket.to_dict(),
    ).returning(tickets.c.id)).scalar_one()


def submit_part(runtime: Runtime, *, channel: str, citizen: str, idem_key: str, digest: str, raw: bytes,
                part: Part, make_ticket: Callable[[Connection], Ticket], window: timedelta, force_new: bool,
                answer_opened: Callable[[str], dict], answer_joined: Callable[[str], dict],
                on_stored: Callable[[Connection, int, bool, Later], None] | None = None) -> Stored:
    """Open a report with this message, or join the citizen's open one; one transaction, retries answered once.

    `make_ticket(conn)` builds the ticket when a report is opened (reading through `conn` only: on SQLite a
    second connection would wait for this transaction's write lock); `on_stored(conn, ticket_id, opened, later)` runs in
    the same transaction (e.g. to queue media downloads).
    """
    for _ in range(5):
        repeat = find_repeat(runtime, channel, idem_key, digest)
        if repeat:
            return repeat
        later: Later = []
        now = runtime.clock()
        try:
            with runtime.engine.begin() as conn:
                conv = lock_conversation(conn, channel, citizen, now)
                row = None
                if not force_new and conv.ticket_id is not None and conv.opened_at is not None \
                        and now - conv.opened_at <= window:
                    query = select(tickets).where(tickets.c.id == conv.ticket_id)
                    if conn.dialect.name == "postgresql":
                        query = query.with_for_update()  # assign_case reads the ticket under this lock too
                    row = conn.execute(query).first()
                if row is not None:
                    body = answer_joined(row.reference)
                    _join(conn, runtime, row, part, idem_key, channel, later)
                    ticket_id, reference, outcome, status = row.id, row.reference, "joined", 200
                else:
                    ticket = make_ticket(conn)
                    ticket.reference, ticket.status = new_reference(), "received"
                    body = answer_opened(ticket.reference)
                    ticket_id = _open(conn, runtime, ticket)
                    reference, outcome, status = ticket.reference, "opened", 201
                    later.append(("normalize_ticket", ticket_id, ticket.urgent))
                    conn.execute(update(conversations).where(conversations.c.channel == channel,
                                                             conversations.c.citizen == citizen)
                                 .values(ticket_id=ticket_id, opened_at=now))
                conn.execute(update(conversations).where(conversations.c.channel == channel,
                                                         conversations.c.citizen == citizen)
                             .values(last_message_at=now, updated_at=now))
                if on_stored:
                    on_stored(conn, ticket_id, outcome == "opened", later)
                _claim(conn, runtime, channel, idem_key, digest, raw, body, status, ticket_id)
        except IntegrityError:
            continue  # a twin claimed the key (answered as a repeat above), or a reference collision
        _enqueue(runtime, later)
        log.info("%s message %s %s ticket %s", channel, idem_key, outcome, reference)
        return Stored(outcome, body, ticket_id, reference)
    raise RuntimeError(f"could not store {channel}:{idem_key}")
