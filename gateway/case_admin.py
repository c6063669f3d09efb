"""Supervisors' corrections: take a report out of its case (unmerge), or join two cases (forced merge).

Both are one transaction, audited in `case_links` with who did it, and told to the case system as events.
"""
from __future__ import annotations

from sqlalchemy import insert, select, update

from gateway import hot
from gateway.dedupe_index import move_reports
from gateway.dispatch_store import suggested_unit
from gateway.events import add_event
from gateway.runtime import Runtime
from gateway.supervision import refresh_case_due
from gateway.tables import case_links, cases, tickets


class CaseActionRefused(Exception):
    """The action does not apply; `status` and a Chinese `message` say why."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _case(conn, case_id: int):
    query = select(cases).where(cases.c.id == case_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise CaseActionRefused(404, "case_not_found", f"未找到案件 {case_id}")
    return row


def unmerge(runtime: Runtime, case_id: int, reference: str, actor: str, reason: str | None) -> int:
    """Move the report out of the case into a new case of its own; returns the new case id."""
    now = runtime.clock()
    with runtime.engine.begin() as conn:
        case = _case(conn, case_id)
        ticket = conn.execute(select(tickets).where(tickets.c.reference == reference)).first()
        if ticket is None or ticket.case_id != case.id:
            raise CaseActionRefused(404, "report_not_in_case", f"编号 {reference} 的诉求不在案件 {case_id} 中")
        others = conn.execute(select(tickets.c.id).where(tickets.c.case_id == case.id, tickets.c.id != ticket.id)
                              ).first()
        if others is None:
            raise CaseActionRefused(409, "only_report", "这是该案件唯一的诉求，无法拆分")
        new_id = conn.execute(insert(cases).values(status="open", priority=ticket.priority, next_sequence=1,
                                                   opened_at=now, updated_at=now).returning(cases.c.id)).scalar_one()
        conn.execute(update(tickets).where(tickets.c.id == ticket.id).values(case_id=new_id, updated_at=now))
        move_reports(conn, [ticket.id], new_id)
        evidence = {"rule": "unmerged by supervisor", "by": actor, "reason": reason, "from_case": case.id}
        conn.execute(insert(case_links), [
            dict(case_id=case.id, ticket_id=ticket.id, action="unmerged", actor=actor, evidence=evidence,
                 created_at=now),
            dict(case_id=new_id, ticket_id=ticket.id, action="opened", actor=actor, evidence=evidence,
                 created_at=now)])
        # Due dates and overdue levels follow the reports: both cases are recomputed.
        refresh_case_due(conn, runtime, case.id)
        refresh_case_due(conn, runtime, new_id)
        moved = conn.execute(select(tickets).where(tickets.c.id == ticket.id)).one()
        add_event(conn, case.id, "case.unmerged", moved, {"new_case_id": new_id})
        add_event(conn, new_id, "case.opened", moved, {"unmerged_from": case.id},
                  case_fields={"suggested_unit": suggested_unit(conn, runtime.settings.profile, moved.data)})
        hot.move_reports(conn, runtime.settings, [ticket.id], case.id, new_id, now,
                         hot.case_facts((moved.data or {}).get("normalized"), moved.data))
    runtime.queue.enqueue("deliver_case", case.id)
    runtime.queue.enqueue("deliver_case", new_id)
    return new_id


def merge(runtime: Runtime, case_id: int, other_id: int, actor: str, reason: str | None) -> list[str]:
    """Join `other_id`'s reports into `case_id`; the other case closes as merged. Returns the moved references."""
    if case_id == other_id:
        raise CaseActionRefused(409, "same_case", "不能将案件合并到其自身")
    now = runtime.clock()
    with runtime.engine.begin() as conn:
        # Lock both rows in id order, so two opposite merges cannot deadlock.
        first, second = sorted((case_id, other_id))
        rows = {first: _case(conn, first), second: _case(conn, second)}
        target, other = rows[case_id], rows[other_id]
        for row in (target, other):
            if row.status == "merged":
                raise CaseActionRefused(409, "already_merged", f"案件 {row.id} 已被合并到案件 {row.merged_into}")
        moved = conn.execute(select(tickets.c.id, tickets.c.reference).where(tickets.c.case_id == other.id)).all()
        ids = [r.id for r in moved]
        conn.execute(update(tickets).where(tickets.c.id.in_(ids)).values(case_id=target.id, updated_at=now))
        move_reports(conn, ids, target.id)
        conn.execute(update(cases).where(cases.c.id == other.id).values(status="merged", merged_into=target.id,
                                                                        updated_at=now))
        evidence = {"rule": "merged by supervisor", "by": actor, "reason": reason, "from_case": other.id}
        conn.execute(insert(case_links), [dict(case_id=target.id, ticket_id=i, action="merged", actor=actor,
                                               evidence=evidence, created_at=now) for i in ids])
        references = [r.reference for r in moved]
        refresh_case_due(conn, runtime, target.id)
        add_event(conn, target.id, "case.merged", None, {"merged_case_id": other.id, "references": references})
        hot.move_reports(conn, runtime.settings, ids, other.id, target.id, now)
    runtime.queue.enqueue("deliver_case", target.id)
    return references
