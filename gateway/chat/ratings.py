"""A chat citizen's rating (WeChat, SMS): the report it rates, and the rating recorded through gateway.ratings.

Only reports whose `citizen` is the asker's identity are ever read here."""
from __future__ import annotations

from sqlalchemy.engine import Connection

from gateway.ratings import RATINGS, ratable_report, record_rating
from gateway.runtime import Runtime

__all__ = ["ratable_report", "rate_report"]


def rate_report(conn: Connection, runtime: Runtime, ticket_row, citizen: str, rating: int, comment: str | None,
                later: list) -> str:
    """Record the rating and tell the case system (`case.rated`); returns the rating's Chinese label."""
    result = record_rating(conn, ticket_row, rating=rating, comment=comment, channel=ticket_row.channel,
                           citizen=citizen, now=runtime.clock(), later=later)
    return RATINGS[result.rating or rating]
