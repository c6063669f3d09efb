"""Overdue supervision (分级督办): a case's due date, and `case.overdue` levels at working days past it.

A case's due date is the earliest reply deadline of its reports (the normalizer computes each one on the official
calendar). Level k falls due `[supervision] overdue_levels[k-1]` working days after the due date, at the same
clock time; a case with no `resolved` or `closed` by then gets one `case.overdue` event for the highest level
reached (a gateway that was down for a week sends level 3 once, not 1, 2 and 3 in a burst). `next_overdue_at` is
kept on the case so the sweeper finds due escalations with one indexed range read.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from gateway.bulk import any_of, update_rows
from gateway.events import add_event
from gateway.runtime import Runtime
from gateway.tables import cases, tickets
from normalizer.due_date import add_working_days

log = logging.getLogger(__name__)

JOB = "escalate_overdue"
DEFAULT_LEVELS = (0, 3, 7)
# A case in one of these statuses is answered (or gone into another case): nothing to supervise.
SETTLED = ("resolved", "closed", "merged")


def overdue_levels(runtime: Runtime) -> tuple[int, ...]:
    """Working days past the due date of levels 1, 2, 3 … (`[supervision] overdue_levels`)."""
    levels = runtime.settings.section("supervision").get("overdue_levels", DEFAULT_LEVELS)
    return tuple(int(days) for days in levels)


def level_deadlines(due_at: datetime, levels: tuple[int, ...], timezone: str) -> list[datetime]:
    """When each level falls due: `days` official working days after the due date, same local clock time."""
    local = due_at.astimezone(ZoneInfo(timezone))
    out = []
    for days in levels:
        day = add_working_days(local.date(), days)
        out.append(local.replace(year=day.year, month=day.month, day=day.day))
    return out


def level_at(due_at: datetime | None, now: datetime, levels: tuple[int, ...], timezone: str) -> int:
    """The overdue level a case due at `due_at` has reached at `now` (0: not overdue)."""
    if due_at is None:
        return 0
    return sum(1 for deadline in level_deadlines(due_at, levels, timezone) if deadline <= now)


def _next_deadline(due_at: datetime | None, level: int, levels: tuple[int, ...], timezone: str) -> datetime | None:
    if due_at is None or level >= len(levels):
        return None
    return level_deadlines(due_at, levels, timezone)[level]


def _report_due(data: dict[str, Any]) -> datetime | None:
    value = ((data or {}).get("normalized") or {}).get("due_at")
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def refresh_case_due(conn: Connection, runtime: Runtime, case_id: int) -> datetime | None:
    """Recompute the case's due date from all its reports (after an unmerge or a forced merge); returns it.

    The level already told stays told; if the new due date puts the case at a lower level, the told level drops
    to it, so reaching a level again against the new date is told again.
    """
    due = min(filter(None, (_report_due(r.data) for r in conn.execute(
        select(tickets.c.data).where(tickets.c.case_id == case_id)))), default=None)
    row = conn.execute(select(cases.c.overdue_level).where(cases.c.id == case_id)).one()
    levels, zone = overdue_levels(runtime), runtime.settings.timezone
    told = min(row.overdue_level, level_at(due, runtime.clock(), levels, zone))
    conn.execute(update(cases).where(cases.c.id == case_id).values(
        due_at=due, overdue_level=told, next_overdue_at=_next_deadline(due, told, levels, zone)))
    return due


def batch_case_dues(conn: Connection, runtime: Runtime, reports: list[tuple[int, dict[str, Any]]]
                    ) -> dict[int, dict[str, Any]]:
    """Due dates for a batch of reports entering cases: (case id, or a negative placeholder for a case the batch
    opens; the report's wire data). Returns the supervision columns of each new case (for its INSERT) and updates
    the existing cases whose deadline a report brings forward, in at most two statements for the whole batch.

    A case opened already past its deadline (a late partner report, an imported call) counts the levels it starts
    at as told: its case.opened carries the due date, and a bulk import must not become a burst of escalations.
    A report bringing a case's deadline forward leaves the levels told as they were.
    """
    levels, zone, now = overdue_levels(runtime), runtime.settings.timezone, runtime.clock()
    earliest: dict[int, datetime | None] = {}
    for case_id, data in reports:
        due = _report_due(data)
        known = earliest.get(case_id)
        earliest[case_id] = due if known is None else (min(known, due) if due else known)
    opened = {}
    for case_id, due in earliest.items():
        if case_id < 0:
            told = level_at(due, now, levels, zone)
            opened[case_id] = {"due_at": due, "overdue_level": told,
                               "next_overdue_at": _next_deadline(due, told, levels, zone)}
    joined = {case_id: due for case_id, due in earliest.items() if case_id > 0 and due is not None}
    if joined:
        changes = []
        among, params = any_of(conn, cases.c.id, sorted(joined), "case_ids")
        for row in conn.execute(select(cases.c.id, cases.c.due_at, cases.c.overdue_level).where(among), params):
            due = joined[row.id]
            if row.due_at is None or due < row.due_at:
                told = min(row.overdue_level, level_at(due, now, levels, zone))
                changes.append({"id": row.id, "due_at": due, "overdue_level": told,
                                "next_overdue_at": _next_deadline(due, told, levels, zone)})
        update_rows(conn, cases, changes)
    return opened


def escalation_work(runtime: Runtime, limit: int = 500) -> list[tuple[str, int, bool]]:
    """(job, case id, urgent) for open cases whose next overdue level has fallen due; for the sweeper."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(cases.c.id, cases.c.priority).where(
            cases.c.next_overdue_at <= runtime.clock(), cases.c.status.not_in(SETTLED))
            .order_by(cases.c.next_overdue_at).limit(limit)).all()
    return [(JOB, r.id, r.priority == "urgent") for r in rows]


def escalate_overdue(runtime: Runtime, case_id: int) -> int | None:
    """Tell the case system the level the case has reached, once per level; returns the level told (or None)."""
    levels, zone = overdue_levels(runtime), runtime.settings.timezone
    now = runtime.clock()
    with runtime.engine.begin() as conn:
        query = select(cases).where(cases.c.id == case_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()  # two sweepers' jobs for one case tell a level once
        case = conn.execute(query).first()
        if case is None or case.status in SETTLED or case.next_overdue_at is None or case.next_overdue_at > now:
            return None
        level = level_at(case.due_at, now, levels, zone)
        values = {"next_overdue_at": _next_deadline(case.due_at, max(level, case.overdue_level), levels, zone)}
        told = None
        if level > case.overdue_level:
            values["overdue_level"] = told = level
            conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
            add_event(conn, case_id, "case.overdue", None,
                      extra={"overdue": {"level": level, "due_at": case.due_at.astimezone(ZoneInfo(zone)).isoformat()}})
        else:
            conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
    if told:
        log.warning("case %s overdue: level %s (due %s)", case_id, told, case.due_at.isoformat())
        runtime.queue.enqueue("deliver_case", case_id, urgent=case.priority == "urgent")
    return told


def overdue_cases(runtime: Runtime, limit: int = 500) -> list[dict[str, Any]]:
    """Open cases past their due date, highest level first, then the longest overdue: the supervisors' list."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(cases).where(cases.c.overdue_level > 0, cases.c.status.not_in(SETTLED))
                            .order_by(cases.c.overdue_level.desc(), cases.c.due_at).limit(limit)).all()
        counts = dict(conn.execute(select(tickets.c.case_id, func.count()).where(
            tickets.c.case_id.in_([r.id for r in rows])).group_by(tickets.c.case_id)).all()) if rows else {}
    return [{"id": r.id, "status": r.status, "level": r.overdue_level, "due_at": r.due_at, "unit": r.unit,
             "priority": r.priority, "reports": counts.get(r.id, 0)} for r in rows]


def overdue_counts(conn: Connection) -> list[tuple[int, int]]:
    """(level, open cases at that level) for /metrics."""
    return conn.execute(select(cases.c.overdue_level, func.count()).where(
        cases.c.overdue_level > 0, cases.c.status.not_in(SETTLED)).group_by(cases.c.overdue_level)).all()
