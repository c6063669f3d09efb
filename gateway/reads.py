"""Read models for the API and console: a ticket by reference, a case with its reports and evidence."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gateway.events import case_snapshot
from gateway.notices import case_notices
from gateway.runtime import Runtime
from gateway.tables import case_links, case_updates, cases, tickets

# A client key is public (anyone can pull it out of the app), and the reference is the only capability: what it
# reads is the report as its citizen sent it, where the gateway placed it and what the case system answered, and
# nothing the gateway collected or derived about a person. Decided field by field (docs/security.md):
#   contact, citizen                      operator+ only (the person's number, name, user id, identity)
#   normalized.phones, .entities, .pii    operator+ only (numbers found or given; names found in the text)
#   normalized.title/.text/.compare_text  operator+ only (the report's own text is already there, as sent)
#   everything else                       everyone (the report, its place, category, priority, due date, case)
PERSONAL = ("contact", "citizen")
# The parts of `normalized` a client key sees: where and what, never who.
CLIENT_NORMALIZED = ("district", "street", "location", "category", "emergency", "priority", "due_at", "length")


def ticket_view(runtime: Runtime, reference: str, *, personal: bool) -> dict[str, Any] | None:
    """The ticket as the API shows it, or None."""
    with runtime.engine.connect() as conn:
        row = conn.execute(select(tickets).where(tickets.c.reference == reference)).first()
        if row is None:
            return None
        case = None
        if row.case_id is not None:
            snap = case_snapshot(conn, row.case_id)
            case = {"id": snap["id"], "status": snap["status"], "reports": snap["reports"],
                    "merged_into": snap["merged_into"]}
        progress = case_progress(conn, row.case_id) if row.case_id is not None else []
    data = dict(row.data)
    view = {
        "reference": row.reference, "status": row.status, "channel": row.channel, "source": row.source,
        "received_at": row.received_at.isoformat(), "title": data.get("title"), "text": data.get("text"),
        "category": data.get("category"), "location": data.get("location"),
        "attachments": data.get("attachments", []), "priority": row.priority,
        "normalized": data.get("normalized"), "case": case, "progress": progress,
    }
    if personal:
        view.update({key: data.get(key) for key in PERSONAL})
    elif view["normalized"] is not None:
        view["normalized"] = {key: view["normalized"][key] for key in CLIENT_NORMALIZED
                              if key in view["normalized"]}
    return view


def case_progress(conn, case_id: int) -> list[dict[str, Any]]:
    """The case system's updates of the case, oldest first (those ignored as older than the latest left out).

    About the case, not a person: the status, the unit handling it and its reply text, for every key."""
    rows = conn.execute(select(case_updates.c.status, case_updates.c.message, case_updates.c.unit,
                               case_updates.c.updated_at)
                        .where(case_updates.c.case_id == case_id, case_updates.c.applied.is_(True))
                        .order_by(case_updates.c.updated_at, case_updates.c.id)).all()
    return [{"status": r.status, "message": r.message, "unit": r.unit, "at": r.updated_at.isoformat()}
            for r in rows]


def case_view(runtime: Runtime, case_id: int) -> dict[str, Any] | None:
    """The case, every report in it, and the evidence of each decision that put a report in or took it out."""
    with runtime.engine.connect() as conn:
        if conn.execute(select(cases.c.id).where(cases.c.id == case_id)).first() is None:
            return None
        view = case_snapshot(conn, case_id)
        rows = conn.execute(select(tickets).where(tickets.c.case_id == case_id).order_by(tickets.c.received_at))
        view["report_list"] = [{
            "reference": r.reference, "channel": r.channel, "status": r.status,
            "received_at": r.received_at.isoformat(), "title": r.data.get("title"), "text": r.data.get("text"),
        } for r in rows]
        links = conn.execute(select(case_links, tickets.c.reference).join(tickets,
                             tickets.c.id == case_links.c.ticket_id)
                             .where(case_links.c.case_id == case_id).order_by(case_links.c.id))
        view["decisions"] = [{
            "reference": r.reference, "action": r.action, "actor": r.actor, "score": r.score,
            "evidence": r.evidence, "at": r.created_at.isoformat(),
        } for r in links]
        view["notices"] = case_notices(conn, case_id)
    return view
