"""What the console's lists read: the intake list, a caller's earlier reports, the dead letters."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from gateway.runtime import Runtime
from gateway.tables import outbox, tickets
from normalizer.pii import mask_phone, mask_pii, to_e164
from normalizer.ticket import TICKET_STATUSES


@dataclass
class Page:
    rows: list[dict[str, Any]]
    page: int
    pages: int
    total: int


def _phone(data: dict) -> str | None:
    contact = data.get("contact") or {}
    return contact.get("phone") or (data.get("extra") or {}).get("caller_number")


def _excerpt(text: str | None, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


def intake_page(runtime: Runtime, *, channel: str | None, status: str | None, page: int,
                per_page: int = 50) -> Page:
    """Tickets of every channel, newest first, phones and ID numbers masked; filtered by channel and status."""
    conditions = []
    if channel:
        conditions.append(tickets.c.channel == channel)
    if status in TICKET_STATUSES:
        conditions.append(tickets.c.status == status)
    with runtime.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(tickets).where(*conditions)).scalar_one()
        pages = max(1, -(-total // per_page))
        page = min(max(page, 1), pages)
        rows = conn.execute(select(tickets).where(*conditions)
                            .order_by(tickets.c.received_at.desc(), tickets.c.id.desc())
                            .limit(per_page).offset((page - 1) * per_page)).all()
    return Page([{
        "reference": r.reference, "channel": r.channel, "status": r.status, "case_id": r.case_id,
        "priority": r.priority, "received_at": r.received_at, "phone": mask_phone(_phone(r.data) or ""),
        "excerpt": _excerpt(mask_pii(r.data.get("text"))),
    } for r in rows], page, pages, total)


def known_channels(runtime: Runtime) -> list[str]:
    """The channels that have tickets, for the filter."""
    with runtime.engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(select(tickets.c.channel).distinct()))


def phone_forms(number: str, region: str = "CN") -> list[str]:
    """The spellings a stored number may have: as typed, E.164, national digits, with 86 in front."""
    typed = "".join(number.split())
    forms = {typed}
    e164 = to_e164(typed, region)
    if e164:
        forms.add(e164)
        if e164.startswith("+86"):
            national = e164[3:]
            forms.update({national, "86" + national, "0086" + national})
    return sorted(f for f in forms if f)


def caller_history(runtime: Runtime, number: str, limit: int = 10) -> list[dict[str, Any]]:
    """A caller's earlier reports (by contact.phone or extra.caller_number), newest first."""
    region = (runtime.settings.profile.get("city") or {}).get("phone_region") or "CN"
    if sum(ch.isdigit() for ch in number) < 5:
        return []
    forms = phone_forms(number, region)
    # A scan of the JSON fields: fine for a city's volume with the received_at order; an expression index on
    # the caller number is the next step if it is ever slow.
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(tickets).where(or_(
            tickets.c.data["contact"]["phone"].as_string().in_(forms),
            tickets.c.data["extra"]["caller_number"].as_string().in_(forms)))
            .order_by(tickets.c.received_at.desc()).limit(limit)).all()
    return [{"reference": r.reference, "channel": r.channel, "status": r.status, "case_id": r.case_id,
             "received_at": r.received_at.isoformat(), "excerpt": _excerpt(r.data.get("text"), 60)} for r in rows]


def dead_letters(runtime: Runtime, limit: int = 200) -> list[dict[str, Any]]:
    """Events the case system never took (status dead), oldest first."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.id, outbox.c.case_id, outbox.c.sequence, outbox.c.type,
                                   outbox.c.attempts, outbox.c.last_error, outbox.c.dead_at, outbox.c.created_at)
                            .where(outbox.c.status == "dead").order_by(outbox.c.dead_at, outbox.c.id)
                            .limit(limit)).all()
    return [dict(r._mapping) for r in rows]
