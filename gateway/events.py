"""Case events for the case system, written to the outbox in the same transaction as the change they tell."""
from __future__ import annotations

import json
import uuid
from typing import Any

from functools import lru_cache

from sqlalchemy import BigInteger, Boolean, Integer, Text, bindparam, case, cast, column, func, insert, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from gateway.bulk import ROWS, any_of, insert_rows, json_rows
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


def add_report_events(conn: Connection, items: list[tuple[int, str, int, dict[str, Any], bool, dict | None]]
                      ) -> list[str]:
    """Append one event per report that just entered a case (case id, type, ticket id, report view, urgent, fields
    added to the event's `case` such as `suggested_unit`), in order.

    `add_event` for a batch: one UPDATE of the cases' sequences (which marks a case urgent when an urgent report
    joined it), one count of their reports and one INSERT, however many events. Each report must already be
    stored in its case; an event's `reports` counts its case's reports up to and including its own.
    """
    if not items:
        return []
    wanted: dict[int, list[int]] = {}
    for index, (case_id, *_) in enumerate(items):
        wanted.setdefault(case_id, []).append(index)
    urgent = {case_id for case_id, _, _, _, is_urgent, _ in items if is_urgent}
    now = utcnow()
    case_rows = _advance_sequences(conn, {c: len(ix) for c, ix in wanted.items()}, urgent, now)
    among, ids = any_of(conn, tickets.c.case_id, list(wanted), "case_ids")
    counts = dict(conn.execute(select(tickets.c.case_id, func.count()).where(among).group_by(tickets.c.case_id),
                               ids).all())
    rows = []
    for case_id, indexes in wanted.items():
        row = case_rows[case_id]
        first = row.next_sequence - len(indexes)
        for offset, index in enumerate(indexes):
            _, event_type, ticket_id, report, _, case_fields = items[index]
            # The later reports of this case in the batch are already counted; this event tells the case before them.
            reports = counts.get(case_id, 0) - (len(indexes) - 1 - offset)
            snapshot = {"id": row.id, "status": row.status, "reports": reports, "priority": row.priority,
                        "opened_at": row.opened_at.isoformat(), "unit": row.unit, "message": row.message,
                        "merged_into": row.merged_into, "due_at": row.due_at.isoformat() if row.due_at else None}
            snapshot.update(case_fields or {})
            event_id = str(uuid.uuid4())
            envelope = {"id": event_id, "type": event_type, "occurred_at": now.isoformat(),
                        "sequence": first + offset, "case": snapshot, "report": report}
            rows.append((index, {
                "id": event_id, "case_id": case_id, "sequence": first + offset, "type": event_type,
                "ticket_id": ticket_id, "priority": 1 if row.priority == "urgent" else 0,
                "body": json.dumps(envelope, ensure_ascii=False), "status": "pending", "attempts": 0,
                "next_attempt_at": now, "created_at": now}))
    rows.sort(key=lambda r: r[0])
    conn.execute(*insert_rows(conn, outbox, [row for _, row in rows]))
    return [row["id"] for _, row in rows]


def _advance_sequences(conn: Connection, counts: dict[int, int], urgent: set[int], now) -> dict[int, Any]:
    """Reserve `counts[case]` sequence numbers for each case (taking the case rows' locks); the updated rows."""
    priority = lambda is_urgent: "urgent" if is_urgent else cases.c.priority  # noqa: E731
    if conn.dialect.name != "postgresql":  # SQLite: one writer at a time anyway, and no UPDATE … FROM VALUES
        result = {}
        for case_id, n in counts.items():
            result[case_id] = conn.execute(update(cases).where(cases.c.id == case_id).values(
                next_sequence=cases.c.next_sequence + n, updated_at=now, priority=priority(case_id in urgent))
                .returning(*cases.c)).one()
        return result
    # The cases as one JSON parameter (gateway.bulk): the statement's text is the same for every batch.
    rows = conn.execute(_advance_statement(), {"now": now, ROWS: json_rows(
        [{"case_id": case_id, "n": n, "urgent": case_id in urgent} for case_id, n in sorted(counts.items())])}).all()
    return {row.id: row for row in rows}


@lru_cache(maxsize=1)
def _advance_statement():
    given = (func.jsonb_to_recordset(cast(bindparam(ROWS, type_=Text), JSONB))
             .table_valued(column("case_id", BigInteger), column("n", Integer), column("urgent", Boolean))
             .render_derived(name="given", with_types=True))
    return update(cases).where(cases.c.id == given.c.case_id).values(
        next_sequence=cases.c.next_sequence + given.c.n, updated_at=bindparam("now"),
        priority=case((given.c.urgent, "urgent"), else_=cases.c.priority)).returning(*cases.c)
