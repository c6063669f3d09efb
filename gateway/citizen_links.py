"""One citizen across channels: when a ticket names both an identity and a phone, record that link.

Runs in the pipeline (not the request), in the transaction that stores the normalized ticket. A link made here is
a claim, never verified: it does not let one identity see another's reports (only `confirm_phone` does that).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, tuple_
from sqlalchemy.engine import Connection

from channels.phone import parse_phone
from gateway.citizens import identity_key, split_identity
from gateway.tables import citizen_identities, citizens, ticket_citizens
from gateway.bulk import ROWS, insert_rows, json_rows, rows_of
from normalizer.ticket import Ticket

# Channels whose phone is the caller's own line (caller id), so it identifies the person who reported.
PHONE_IS_SENDER = ("hotline",)


class CitizenContended(Exception):
    """Another transaction recorded one of the batch's new identities first: run the batch again."""


def _identities(ticket: Ticket, region: str) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The ticket's own identity (anchor) and the phone it names (claimed); a hotline ticket without an identity
    takes its caller's number as one (`phone:+86…`), so "the same person again" works for calls as for texts."""
    anchor = split_identity(ticket.citizen) if ticket.citizen else None
    phone = parse_phone(ticket.contact.phone if ticket.contact else None, region)
    claimed = ("phone", phone.e164) if phone.is_citizen else None
    if anchor is None and claimed is not None and ticket.channel in PHONE_IS_SENDER:
        anchor, claimed = claimed, None
        ticket.citizen = identity_key(*anchor)
    return anchor, claimed


def _known(conn: Connection, wanted: list[tuple[str, str]]):
    """The stored identities among `wanted` (kind, value): (kind, value, citizen_id) rows."""
    c = citizen_identities.c
    query = select(c.kind, c.value, c.citizen_id)
    if conn.dialect.name != "postgresql":
        return conn.execute(query.where(tuple_(c.kind, c.value).in_(wanted)))
    # The pairs as one JSON parameter (gateway.bulk), joined on the unique (kind, value).
    given = rows_of(citizen_identities, ("kind", "value"))
    return conn.execute(query.join(given, and_(c.kind == given.c.kind, c.value == given.c.value)),
                        {ROWS: json_rows([{"kind": k, "value": v} for k, v in wanted])})


def _new_citizens(conn: Connection, n: int, now: datetime) -> list[int]:
    """Ids of `n` new citizens (all alike, so their order does not matter)."""
    if conn.dialect.name != "postgresql":
        return conn.execute(insert(citizens).returning(citizens.c.id, sort_by_parameter_order=True),
                            [{"created_at": now, "updated_at": now} for _ in range(n)]).scalars().all()
    return conn.execute(insert(citizens).from_select(
        ["created_at", "updated_at"], select(bindparam("now", type_=citizens.c.created_at.type),
                                             bindparam("now", type_=citizens.c.updated_at.type))
        .select_from(func.generate_series(1, bindparam("n")))).returning(citizens.c.id),
        {"now": now, "n": n}).scalars().all()


def link_citizens(conn: Connection, items: list[tuple[int, Ticket]], now: datetime, region: str) -> None:
    """Record each ticket's citizen, linking its identity and the phone it names (a claim, never proof: an unknown
    phone joins the identity's citizen unverified, a known one stays where it is), as one ticket after the other
    would: one read of the identities and at most three writes (new citizens, new identities, ticket → citizen),
    however many tickets. Sets `extra.citizen_id` on each linked ticket.

    Raises CitizenContended when a concurrent transaction recorded one of the new identities first (rare): the
    caller rolls back and runs the batch again, which then finds that identity.
    """
    plans = [(ticket_id, ticket, *_identities(ticket, region)) for ticket_id, ticket in items]
    plans = [p for p in plans if p[2] or p[3]]
    if not plans:
        return
    wanted = sorted({ident for p in plans for ident in p[2:] if ident})
    known: dict[tuple[str, str], Any] = {(r.kind, r.value): r.citizen_id for r in _known(conn, wanted)}
    fresh_citizens: list[tuple[str, int]] = []       # placeholders for citizens this batch creates
    fresh_identities: dict[tuple[str, str], dict[str, Any]] = {}

    def ensure(ident: tuple[str, str], source: str):
        if ident not in known:
            placeholder = ("new", len(fresh_citizens))
            fresh_citizens.append(placeholder)
            known[ident] = placeholder
            fresh_identities[ident] = {"kind": ident[0], "value": ident[1], "verified": True, "verified_at": now,
                                       "source": source, "created_at": now, "citizen": placeholder}
        return known[ident]

    linked = []
    for ticket_id, ticket, anchor, claimed in plans:
        if anchor is not None and claimed is not None and anchor != claimed:
            citizen = ensure(anchor, ticket.channel)
            if claimed not in known:  # an unknown claimed identity joins the anchor's citizen, unverified
                known[claimed] = citizen
                fresh_identities[claimed] = {"kind": claimed[0], "value": claimed[1], "verified": False,
                                             "verified_at": None, "source": ticket.channel, "created_at": now,
                                             "citizen": citizen}
        else:
            citizen = ensure(anchor or claimed, ticket.channel)
        linked.append((ticket_id, ticket, citizen, identity_key(*(anchor or claimed))))

    real: dict[tuple[str, int], int] = {}
    if fresh_citizens:
        real = dict(zip(fresh_citizens, _new_citizens(conn, len(fresh_citizens), now)))

    def resolve(citizen) -> int:
        return real[citizen] if isinstance(citizen, tuple) else citizen

    if fresh_identities:
        rows = [{k: v for k, v in row.items() if k != "citizen"} | {"citizen_id": resolve(row["citizen"])}
                for _, row in sorted(fresh_identities.items())]
        upsert, params = insert_rows(conn, citizen_identities, rows)
        inserted = {(r.kind, r.value) for r in conn.execute(
            upsert.on_conflict_do_nothing().returning(citizen_identities.c.kind, citizen_identities.c.value), params)}
        if any(row["verified"] and ident not in inserted for ident, row in fresh_identities.items()):
            raise CitizenContended()
    links, params = insert_rows(conn, ticket_citizens, [
        {"ticket_id": ticket_id, "citizen_id": resolve(citizen), "identity": identity, "created_at": now}
        for ticket_id, _, citizen, identity in linked])
    conn.execute(links.on_conflict_do_nothing(), params)
    for _, ticket, citizen, _ in linked:
        ticket.extra["citizen_id"] = resolve(citizen)
