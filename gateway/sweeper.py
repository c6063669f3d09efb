"""What the database says is left to do: tickets stuck in an early status, case events that are due.

The queue is only a hint; this is the truth. A job lost with Redis, a worker killed mid-job, an enqueue
that failed after a commit: the sweeper finds their work here and hands it out again.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.delivery import due_cases
from gateway import registry
from gateway.notices import pending_notice_work
from gateway.runtime import Runtime
from gateway.supervision import escalation_work
from gateway.tables import tickets

STAGE_JOBS = {"received": "normalize_ticket", "normalized": "assign_case"}


def pending_work(runtime: Runtime, stale_after: float, limit: int = 500) -> list[tuple[str, int, bool]]:
    """(job, id, urgent) for everything waiting: tickets untouched for `stale_after` seconds, due events."""
    cutoff = runtime.clock() - timedelta(seconds=stale_after)
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(tickets.c.id, tickets.c.status, tickets.c.priority)
            .where(tickets.c.status.in_(list(STAGE_JOBS)), tickets.c.updated_at <= cutoff)
            .order_by(tickets.c.priority.desc(), tickets.c.id).limit(limit)).all()
    work = [(STAGE_JOBS[r.status], r.id, r.priority == "urgent") for r in rows]
    work += [("deliver_case", case_id, urgent) for case_id, urgent in due_cases(runtime, limit)]
    for channel in registry.CHANNELS:
        if channel.pending_work is not None:
            work += channel.pending_work(runtime, limit)
    work += escalation_work(runtime, limit)
    work += pending_notice_work(runtime, limit)
    return work


def sweep_into_queue(runtime: Runtime) -> int:
    """Enqueue what waits (production: RQ); returns how many jobs were enqueued."""
    stale_after = runtime.settings.section("pipeline").get("stale_after_seconds", 30)
    work = pending_work(runtime, stale_after)
    return sum(runtime.queue.enqueue(job, arg, urgent) for job, arg, urgent in work)
