"""Pipeline stage 2: a new case or the case the report joins (`normalized` → `in_case`), with its event."""
from __future__ import annotations

import logging

from sqlalchemy import insert, select, update

from dedupe.types import Decision
from gateway import hot
from gateway.dedupe_index import add_to_index, find_candidates, lock_keys
from gateway.dispatch_store import suggested_unit
from gateway.events import add_event
from gateway.runtime import Runtime
from gateway.supervision import add_report_due
from gateway.tables import case_links, cases, tickets
from normalizer.ticket import ticket_from_dict

log = logging.getLogger(__name__)


def _live_case(conn, case_id: int) -> int:
    # A case absorbed by a forced merge sends its newcomers to the case that absorbed it.
    for _ in range(20):
        merged_into = conn.execute(select(cases.c.merged_into).where(cases.c.id == case_id)).scalar()
        if merged_into is None:
            return case_id
        case_id = merged_into
    return case_id


def _operator_decision(conn, ticket) -> tuple[Decision, str] | None:
    """An operator's own decision, taken while receiving the report (the hotline's `attach_to_case`), and who took it.

    It replaces the deduper's decision. A case id that does not exist (intake refuses those) falls back to dedupe
    rather than losing the report.
    """
    extra = ticket.extra if isinstance(ticket.extra, dict) else {}
    case_id = extra.get("attach_to_case")
    if type(case_id) is not int:
        return None
    if conn.execute(select(cases.c.id).where(cases.c.id == case_id)).first() is None:
        log.warning("ticket %s: attach_to_case %s does not exist; dedupe decides", ticket.reference, case_id)
        return None
    by = str(extra.get("attached_by") or extra.get("agent_id") or extra.get("entered_by") or "operator")[:100]
    return Decision(case_id, None, {"rule": "attached by operator", "by": by, "case_id": case_id}), by


def assign_case(runtime: Runtime, ticket_id: int) -> int | None:
    """Decide and record the report's case in one transaction; returns the case id (None: nothing to do)."""
    deduper = runtime.deduper
    with runtime.engine.begin() as conn:
        query = select(tickets).where(tickets.c.id == ticket_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None or row.status != "normalized":
            return None
        ticket = ticket_from_dict(row.data)
        fingerprint = deduper.fingerprint(ticket)
        keys = deduper.blocking_keys(fingerprint)
        lock_keys(conn, keys)
        now = runtime.clock()
        dedupe_cfg = runtime.settings.section("dedupe")
        decision, actor = _operator_decision(conn, ticket) or (None, "dedupe")
        if decision is None:
            candidates = find_candidates(conn, keys, now, dedupe_cfg.get("closed_case_days", 30),
                                         dedupe_cfg.get("max_candidates", 64))
            decision = deduper.decide(fingerprint, ticket.received_at, candidates)
        urgent = row.priority == "urgent"
        if decision.case_id is None:
            case_id = conn.execute(insert(cases).values(
                status="open", priority="urgent" if urgent else "normal", next_sequence=1,
                opened_at=now, updated_at=now).returning(cases.c.id)).scalar_one()
            action, event_type = "opened", "case.opened"
        else:
            case_id = _live_case(conn, decision.case_id)
            action, event_type = "joined", "case.report_added"
            if urgent:
                conn.execute(update(cases).where(cases.c.id == case_id).values(priority="urgent"))
        conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(
            status="in_case", case_id=case_id, in_case_at=now, updated_at=now))
        conn.execute(insert(case_links).values(
            case_id=case_id, ticket_id=ticket_id, action=action, actor=actor,
            score=decision.score, evidence=decision.evidence, created_at=now))
        add_to_index(conn, ticket_id=ticket_id, case_id=case_id, received_at=ticket.received_at, keys=keys,
                     fingerprint=fingerprint, cap=dedupe_cfg.get("postings_cap", 200))
        add_report_due(conn, runtime, case_id, row.data, opened=action == "opened")
        fresh = conn.execute(select(tickets).where(tickets.c.id == ticket_id)).one()
        opened = {"suggested_unit": suggested_unit(conn, runtime.settings.profile, fresh.data)} \
            if action == "opened" else None
        add_event(conn, case_id, event_type, fresh, case_fields=opened)
        hot.record_join(conn, runtime.settings, case_id, row.created_at, hot.case_facts(ticket.normalized, row.data),
                        opened=action == "opened")
    log.info("ticket %s %s case %s", row.reference, action, case_id)
    runtime.queue.enqueue("deliver_case", case_id, urgent=urgent)
    return case_id
