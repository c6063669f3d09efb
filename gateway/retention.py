"""Personal data kept no longer than needed, and a record of who read it.

`erase_personal_data` erases the contact details and raw payloads of reports whose case closed more than
`[retention] contact_days` ago: the report's text, its place and its case stay (the city's record of the
problem), the person goes. `python -m gateway retention run` runs it (from cron, say nightly).
`record_personal_read` notes every read of contact details by an operator or an API key.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from gateway.runtime import Runtime
from gateway.tables import cases, outbox, personal_reads, submissions, tickets

log = logging.getLogger(__name__)
# Fields of a ticket's `extra` that name or reach a person (the hotline's caller number, an SMS sender, ids).
PERSONAL_EXTRA = ("caller_number", "phone", "citizen_id", "openid", "user_id", "name", "id_number", "contact")
ERASED = "[erased]"


def erased_report(data: dict[str, Any]) -> dict[str, Any]:
    """The report without its person: no contact, citizen, phones found, personal extras."""
    data = dict(data)
    data["contact"] = None
    data["citizen"] = None
    extra = {k: v for k, v in (data.get("extra") or {}).items() if k not in PERSONAL_EXTRA}
    data["extra"] = extra
    if isinstance(data.get("normalized"), dict):
        normalized = dict(data["normalized"])
        normalized["phones"] = []
        data["normalized"] = normalized
    return data


def _erase_event_body(body: str) -> str:
    try:
        event = json.loads(body)
    except ValueError:
        return body
    if isinstance(event.get("report"), dict):
        event["report"] = erased_report(event["report"])
    return json.dumps(event, ensure_ascii=False)


def erase_personal_data(runtime: Runtime, days: float | None = None, batch: int = 500) -> int:
    """Erase the person from reports whose case closed more than `days` ago; returns how many reports."""
    if days is None:
        days = float(runtime.settings.section("retention").get("contact_days", 365))
    if days <= 0:
        return 0
    now = runtime.clock()
    cutoff = now - timedelta(days=days)
    done = 0
    while True:
        with runtime.engine.begin() as conn:
            rows = conn.execute(select(tickets.c.id, tickets.c.case_id, tickets.c.data).join(
                cases, cases.c.id == tickets.c.case_id).where(
                cases.c.status == "closed", cases.c.updated_at <= cutoff,
                tickets.c.personal_erased_at.is_(None)).limit(batch)).all()
            if not rows:
                return done
            for row in rows:
                conn.execute(update(tickets).where(tickets.c.id == row.id).values(
                    data=erased_report(row.data), citizen=None, personal_erased_at=now))
                # The raw payload is the person's own words and numbers as sent: it goes with them.
                conn.execute(update(submissions).where(submissions.c.ticket_id == row.id).values(
                    raw=ERASED.encode()))
            case_ids = {row.case_id for row in rows}
            for event in conn.execute(select(outbox.c.id, outbox.c.body).where(
                    outbox.c.case_id.in_(case_ids), outbox.c.status != "pending")).all():
                conn.execute(update(outbox).where(outbox.c.id == event.id).values(
                    body=_erase_event_body(event.body)))
            done += len(rows)
        log.info("retention: erased the personal data of %d reports so far", done)


def record_personal_read(runtime: Runtime, actor: str, via: str, ticket_id: int | None = None,
                         detail: str | None = None, at: datetime | None = None) -> None:
    """Note one read of contact details (who, through what, which ticket)."""
    with runtime.engine.begin() as conn:
        conn.execute(insert(personal_reads).values(at=at or runtime.clock(), actor=actor[:200], via=via[:100],
                                                   ticket_id=ticket_id, detail=detail))
