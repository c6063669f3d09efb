"""Pipeline stage 1: the canonical ticket's clean fields (`received` → `normalized`)."""
from __future__ import annotations

import logging

from sqlalchemy import select, update

from gateway.runtime import Runtime
from gateway.tables import tickets
from normalizer.ticket import ticket_from_dict

log = logging.getLogger(__name__)


def normalize_ticket(runtime: Runtime, ticket_id: int) -> bool:
    """Normalize one stored ticket; True when this call moved it on (False: already done or gone)."""
    with runtime.engine.connect() as conn:
        row = conn.execute(select(tickets.c.status, tickets.c.data).where(tickets.c.id == ticket_id)).first()
    if row is None or row.status != "received":
        return False
    ticket = ticket_from_dict(row.data)
    normalized = runtime.normalizer.normalize(ticket)
    ticket.normalized = normalized
    ticket.status = "normalized"
    urgent = normalized.get("priority") == "urgent"
    with runtime.engine.begin() as conn:
        # The status condition makes a concurrent or repeated run a no-op.
        moved = conn.execute(update(tickets).where(tickets.c.id == ticket_id, tickets.c.status == "received")
                             .values(status="normalized", data=ticket.to_dict(), updated_at=runtime.clock(),
                                     priority="urgent" if urgent else "normal")).rowcount
    if moved:
        runtime.queue.enqueue("assign_case", ticket_id, urgent=urgent)
    return bool(moved)
