"""Pipeline stage 1: the canonical ticket's clean fields (`received` → `normalized`)."""
from __future__ import annotations

import logging

from sqlalchemy import select, update

from gateway.citizen_links import link_ticket_citizen
from gateway.runtime import Runtime
from gateway.tables import tickets
from normalizer.ticket import ticket_from_dict

log = logging.getLogger(__name__)


def normalize_ticket(runtime: Runtime, ticket_id: int, attempts: int = 5) -> bool:
    """Normalize one stored ticket; True when this call moved it on (False: already done or gone)."""
    for _ in range(attempts):
        moved = _normalize_once(runtime, ticket_id)
        if moved is not None:
            return moved
    log.warning("ticket %s kept changing while being normalized; the sweeper will try again", ticket_id)
    return False


def _normalize_once(runtime: Runtime, ticket_id: int) -> bool | None:
    """True/False as `normalize_ticket`; None when the ticket changed underneath (a part joined it)."""
    with runtime.engine.connect() as conn:
        row = conn.execute(select(tickets.c.status, tickets.c.data, tickets.c.updated_at)
                           .where(tickets.c.id == ticket_id)).first()
    if row is None or row.status != "received":
        return False
    ticket = ticket_from_dict(row.data)
    normalized = runtime.normalizer.normalize(ticket)
    ticket.normalized = normalized
    ticket.status = "normalized"
    urgent = normalized.get("priority") == "urgent"
    region = runtime.settings.section("city").get("phone_region", "CN")
    with runtime.engine.begin() as conn:
        link_ticket_citizen(conn, ticket_id, ticket, runtime.clock(), region)  # idempotent, so safe to redo
        # The status condition makes a concurrent or repeated run a no-op; the updated_at condition makes
        # sure a conversation part that joined the ticket meanwhile is not overwritten (then: do it again).
        moved = conn.execute(update(tickets).where(tickets.c.id == ticket_id, tickets.c.status == "received",
                                                   tickets.c.updated_at == row.updated_at)
                             .values(status="normalized", data=ticket.to_dict(), updated_at=runtime.clock(),
                                     citizen=ticket.citizen,
                                     priority="urgent" if urgent else "normal")).rowcount
        if not moved:
            still_received = conn.execute(select(tickets.c.status).where(tickets.c.id == ticket_id)).scalar()
            if still_received == "received":
                return None
    if moved:
        runtime.queue.enqueue("assign_case", ticket_id, urgent=urgent)
    return bool(moved)
