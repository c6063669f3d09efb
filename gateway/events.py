"""Case events for the case system, written to the outbox in the same transaction as the change they tell."""
from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from gateway.tables import cases, outbox, tickets, utcnow

EVENT_TYPES = ("case.opened", "case.report_added", "case.updated", "case.unmerged", "case.merged", "case.rated",
               "case.hot", "case.overdue")


def case_snapshot(conn: Connection, case_id: int) -> dict[str, Any]:
    """The case as events and the API show it."""
    row = conn.execute(select(cases).where(cases.c.id == case_id)).one()
    reports = conn.execute(select(func.count()).select_from(tickets).where(tickets.c.case_id == case_id)).scalar()
    return {
        "id": row.id, "status": row.status, "reports": reports, "priority": row.priority,
        "opened_at": row.opened_at.isoformat(), "unit": row.unit, "message": row.message,
        "merged_into": row.merged_into,
        "due_at": row.due_at.isoformat() if row.due_at else None,
    }


def report_view(row) -> dict[str, Any]:
    """A stored ticket row in its wire format, with its current reference, status and case."""
    data = dict(row.data)
    data.update(reference=row.reference, status=row.status)
    data["case_id"] = row.case_id
    return data


def add_event(conn: Connection, case_id: int, event_type: str, ticket_row=None,
              extra: dict[str, Any] | None = None, case_fields: dict[str, Any] | None = None) -> str:
    """Append one event to the case's outbox with the case's next sequence number; returns the event id.

    `extra` adds top-level fields to the event, `case_fields` fields of its `case` (`suggested_unit`)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(event_type)
    # The UPDATE takes the case's row lock, so two transactions never draw the same sequence number.
    sequence = conn.execute(update(cases).where(cases.c.id == case_id)
                            .values(next_sequence=cases.c.next_sequence + 1, updated_at=utcnow())
                            .returning(cases.c.next_sequence)).scalar_one() - 1
    snapshot = case_snapshot(conn, case_id)
    snapshot.update(case_fields or {})
    now = utcnow()
    event_id = str(uuid.uuid4())
    envelope = {"id": event_id, "type": event_type, "occurred_at": now.isoformat(), "sequence": sequence,
                "case": snapshot, "report": report_view(ticket_row) if ticket_row is not None else None}
    envelope.update(extra or {})
    conn.execute(insert(outbox).values(
        id=event_id, case_id=case_id, sequence=sequence, type=event_type,
        ticket_id=ticket_row.id if ticket_row is not None else None,
        priority=1 if snapshot["priority"] == "urgent" else 0,
        body=json.dumps(envelope, ensure_ascii=False), status="pending", attempts=0,
        next_attempt_at=now, created_at=now))
    return event_id
