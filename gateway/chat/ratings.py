"""A citizen's rating of a closed case: the report it rates, and the rating recorded and sent as `case.rated`.

Only reports whose `citizen` is the asker's identity are ever read here."""
from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from channels.chat.intents import RATINGS
from gateway.events import add_event
from gateway.runtime import Runtime
from gateway.tables import case_ratings, cases, tickets


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
