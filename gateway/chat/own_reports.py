"""A citizen's own reports, the answer to "查询" on every channel, over the identities the sender may see.

Only reports filed under the sender's own identity are listed, plus those of identities verifiably the same person
(`gateway.citizens.visible_identities`): a reference alone never reveals someone else's report, and an unverified
link (a phone number someone typed) reveals nothing.
"""
from __future__ import annotations

from typing import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection

from channels.chat.texts import STATUS_TEXT
from gateway.citizens import visible_identities
from gateway.references import normalize_reference
from gateway.runtime import Runtime
from gateway.tables import cases, tickets


# The case system's reply is quoted up to this many characters (a query answer must fit a few SMS segments).
REPLY_CHARS = 60


def _status(row) -> str:
    """The latest status in words, the unit handling the case and the case system's reply, when there are any."""
    key = row.case_status if row.case_id is not None and row.case_status else row.status
    label = STATUS_TEXT.get(key, key)
    if row.case_id is None:
        return label
    if row.unit:
        label = f"{label}（承办单位：{row.unit}）"
    if row.message:
        reply = row.message if len(row.message) <= REPLY_CHARS else row.message[:REPLY_CHARS] + "…"
        label = f"{label}，答复：{reply}"
    return label


def text(texts: Mapping[str, str], name: str, **values: str) -> str:
    """The channel's text called `name` with `values` filled in (`texts` holds every name, overrides applied)."""
    return texts[name].format(**values)


def _reference_forms(reference: str) -> list[str]:
    ref = normalize_reference(reference)
    # Citizens often drop the hyphen of `K7QM4-XP2HD`.
    return [ref, f"{ref[:5]}-{ref[5:]}"] if len(ref) == 10 and "-" not in ref else [ref]


def own_reports_reply(conn: Connection, runtime: Runtime, identity: str, texts: Mapping[str, str], limit: int,
                      reference: str | None = None) -> str:
    """This sender's recent reports (or the one named) with their status in Chinese."""
    query = (select(tickets.c.reference, tickets.c.status, tickets.c.received_at, tickets.c.case_id,
                    cases.c.status.label("case_status"), cases.c.unit, cases.c.message)
             .select_from(tickets.outerjoin(cases, cases.c.id == tickets.c.case_id))
             .where(tickets.c.citizen.in_(visible_identities(conn, identity))))
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
