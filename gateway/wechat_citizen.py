"""A citizen's own reports: the status list a query answers, and the rating of a closed case.

Only reports whose `citizen` is the asker's identity are ever read here, so nobody can see another's report by
guessing a reference.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from channels.wechat.intents import RATINGS
from channels.wechat.texts import STATUS_TEXT, text
from gateway.events import add_event
from gateway.references import normalize_reference
from gateway.runtime import Runtime
from gateway.tables import case_ratings, cases, tickets


def _status(row) -> str:
    key = row.case_status if row.case_id is not None and row.case_status else row.status
    label = STATUS_TEXT.get(key, key)
    if row.case_id is not None and row.case_status == "assigned" and row.unit:
        label = f"{label}（{row.unit}）"
    return label


def _reference_forms(reference: str) -> list[str]:
    ref = normalize_reference(reference)
    # Citizens often drop the hyphen of `K7QM4-XP2HD`.
    return [ref, f"{ref[:5]}-{ref[5:]}"] if len(ref) == 10 and "-" not in ref else [ref]


def own_reports_reply(conn: Connection, runtime: Runtime, citizen: str, texts, limit: int,
                      reference: str | None = None) -> str:
    """The query answer: this citizen's recent reports (or the one named) with their status in Chinese."""
    query = (select(tickets.c.reference, tickets.c.status, tickets.c.received_at, tickets.c.case_id,
                    cases.c.status.label("case_status"), cases.c.unit)
             .select_from(tickets.outerjoin(cases, cases.c.id == tickets.c.case_id))
             .where(tickets.c.citizen == citizen))
    if reference:
        query = query.where(tickets.c.reference.in_(_reference_forms(reference)))
    rows = conn.execute(query.order_by(tickets.c.received_at.desc(), tickets.c.id.desc()).limit(limit)).all()
    if not rows:
        return text(texts, "query_not_found", reference=reference) if reference else text(texts, "query_none")
    zone = ZoneInfo(runtime.settings.timezone)
    lines = [text(texts, "query_header")]
    for row in rows:
        received = row.received_at.astimezone(zone).strftime("%m-%d %H:%M")
        lines.append(text(texts, "query_line", reference=row.reference, received=received, status=_status(row)))
    return "\n".join(lines)


def ratable_report(conn: Connection, citizen: str):
    """The citizen's most recent report whose case is closed and not yet rated, or None."""
    return conn.execute(
        select(tickets).join(cases, cases.c.id == tickets.c.case_id)
        .outerjoin(case_ratings, case_ratings.c.ticket_id == tickets.c.id)
        .where(tickets.c.citizen == citizen, cases.c.status == "closed", case_ratings.c.id.is_(None))
        .order_by(cases.c.updated_at.desc(), tickets.c.id.desc()).limit(1)).first()


def rate_report(conn: Connection, runtime: Runtime, ticket_row, citizen: str, rating: int, comment: str | None,
                later: list) -> str:
    """Record the rating and tell the case system (`case.rated`); returns the rating's Chinese label."""
    conn.execute(insert(case_ratings).values(
        case_id=ticket_row.case_id, ticket_id=ticket_row.id, citizen=citizen, rating=rating,
        comment=comment or None, created_at=runtime.clock()))
    add_event(conn, ticket_row.case_id, "case.rated", ticket_row,
              extra={"rating": rating, "comment": comment or None})
    later.append(("deliver_case", ticket_row.case_id, False))
    return RATINGS[rating]
