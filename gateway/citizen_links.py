"""One citizen across channels: when a ticket names both an identity and a phone, record that link.

Runs in the pipeline (not the request), in the transaction that stores the normalized ticket. A link made here is
a claim, never verified: it does not let one identity see another's reports (only `confirm_phone` does that).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from channels.phone import parse_phone
from gateway.citizens import ensure_identity, identity_key, link_claimed, record_ticket, split_identity
from normalizer.ticket import Ticket

# Channels whose phone is the caller's own line (caller id), so it identifies the person who reported.
PHONE_IS_SENDER = ("hotline",)


def link_ticket_citizen(conn: Connection, ticket_id: int, ticket: Ticket, now: datetime, region: str) -> int | None:
    """Record the ticket's citizen (linking its identity and its contact phone); returns the citizen id.

    A hotline ticket without an identity takes its caller's number as one (`phone:+86…`), so that "the same
    person again" and the caller's history work for calls as they do for texts.
    """
    anchor = split_identity(ticket.citizen) if ticket.citizen else None
    phone = parse_phone(ticket.contact.phone if ticket.contact else None, region)
    claimed = ("phone", phone.e164) if phone.is_citizen else None
    if anchor is None and claimed is not None and ticket.channel in PHONE_IS_SENDER:
        anchor, claimed = claimed, None
        ticket.citizen = identity_key(*anchor)
    if anchor is None and claimed is None:
        return None
    if anchor is not None and claimed is not None and anchor != claimed:
        citizen_id = link_claimed(conn, anchor, claimed, now, ticket.channel)
    else:
        citizen_id = ensure_identity(conn, *(anchor or claimed), now, ticket.channel)
    record_ticket(conn, ticket_id, citizen_id, identity_key(*(anchor or claimed)), now)
    ticket.extra["citizen_id"] = citizen_id
    return citizen_id
