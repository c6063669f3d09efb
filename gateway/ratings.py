"""A citizen's rating of the answer to their report (群众评价), the same on every channel.

Recorded once per report: the same rating again is answered with the first one, another value is refused; a
report is rated only once its case is `resolved` or `closed`. Each rating reaches the case system as `case.rated`
(`rating`, `comment`, `channel`, `reopen_requested` — true for 3 不满意) in the transaction that records it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from channels.chat.intents import RATINGS
from gateway.events import add_event
from gateway.runtime import Runtime
from gateway.tables import case_ratings, cases, tickets

RATABLE_STATUSES = ("resolved", "closed")
REOPEN_RATING = 3


@dataclass(frozen=True)
class RatingResult:
    """`outcome`: recorded | repeat | conflict | not_ratable | not_found."""

    outcome: str
    rating: int | None = None
    comment: str | None = None
    channel: str | None = None

    @property
    def label(self) -> str:
        return RATINGS.get(self.rating or 0, "")


def ratable_report(conn: Connection, citizen: str):
    """The citizen's most recent report whose case is resolved or closed and which is not yet rated, or None."""
    return conn.execute(
        select(tickets).join(cases, cases.c.id == tickets.c.case_id)
        .outerjoin(case_ratings, case_ratings.c.ticket_id == tickets.c.id)
        .where(tickets.c.citizen == citizen, cases.c.status.in_(RATABLE_STATUSES), case_ratings.c.id.is_(None))
        .order_by(cases.c.updated_at.desc(), tickets.c.id.desc()).limit(1)).first()


def record_rating(conn: Connection, ticket_row, *, rating: int, comment: str | None, channel: str, citizen: str,
                  now, later: list, rated_by: str | None = None) -> RatingResult:
    """Record the rating of one report and queue `case.rated`, in the caller's transaction."""
    if rating not in RATINGS:
        raise ValueError(rating)
    first = conn.execute(select(case_ratings).where(case_ratings.c.ticket_id == ticket_row.id)).first()
    if first is not None:
        return RatingResult("repeat" if first.rating == rating else "conflict", first.rating, first.comment,
                            first.channel)
    status = conn.execute(select(cases.c.status).where(cases.c.id == ticket_row.case_id)).scalar() \
        if ticket_row.case_id is not None else None
    if status not in RATABLE_STATUSES:
        return RatingResult("not_ratable")
    comment = (comment or "").strip() or None
    # The unique ticket_id is the claim: a concurrent second rating fails here (IntegrityError) and looks again.
    conn.execute(insert(case_ratings).values(case_id=ticket_row.case_id, ticket_id=ticket_row.id, citizen=citizen,
                                             rating=rating, comment=comment, channel=channel, created_at=now))
    extra = {"rating": rating, "comment": comment, "channel": channel, "reopen_requested": rating == REOPEN_RATING}
    if rated_by:
        extra["rated_by"] = rated_by
    add_event(conn, ticket_row.case_id, "case.rated", ticket_row, extra=extra)
    later.append(("deliver_case", ticket_row.case_id, False))
    return RatingResult("recorded", rating, comment, channel)


def rate_reference(runtime: Runtime, reference: str, *, rating: int, comment: str | None, channel: str,
                   rated_by: str | None = None) -> RatingResult:
    """Rate the report with this reference (the app, partners, an operator); its own transaction."""
    for _ in range(3):
        later: list = []
        try:
            with runtime.engine.begin() as conn:
                row = conn.execute(select(tickets).where(tickets.c.reference == reference)).first()
                if row is None:
                    return RatingResult("not_found")
                result = record_rating(conn, row, rating=rating, comment=comment, channel=channel,
                                       citizen=row.citizen or f"ref:{reference}", now=runtime.clock(), later=later,
                                       rated_by=rated_by)
        except IntegrityError:
            continue  # a concurrent rating of the same report won: answer against it
        for job, arg, urgent in later:
            runtime.queue.enqueue(job, arg, urgent)
        return result
    raise RuntimeError(f"could not record the rating of {reference}")
