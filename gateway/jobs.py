"""The pipeline's job functions at stable import paths (RQ names them as `gateway.jobs.<name>`).

Each takes one id (JSON), runs on the process's installed runtime, and is idempotent. The workers carry tickets
into cases in batches (gateway.pipeline) and send events from their dispatcher; `normalize_ticket`, `assign_case`
and `deliver_case` remain for one ticket or case at a time (tools, tests, jobs queued by an older version). Each
channel's jobs come from its registered spec and are found under the same path.
"""
from __future__ import annotations

from typing import Any, Callable

from gateway import delivery, pipeline
from gateway.registry import channel_jobs
from gateway.runtime import Runtime, current


def normalize_ticket(ticket_id: int, runtime: Runtime | None = None) -> bool:
    """Stages 1 and 2 for one ticket: normalize it and put it in its case; True when this call moved it on."""
    return bool(pipeline.process_batch(runtime or current(), 1, [ticket_id]))


def assign_case(ticket_id: int, runtime: Runtime | None = None) -> int | None:
    """Stages 1 and 2 for one ticket; returns its case id (None: it was not ready)."""
    placed = pipeline.process_batch(runtime or current(), 1, [ticket_id])
    return placed[0].case_id if placed else None


def deliver_case(case_id: int, runtime: Runtime | None = None) -> int:
    """Stage 3: send the case's due events."""
    return delivery.deliver_case(runtime or current(), case_id)


def _channel_job(fn: Callable[[Runtime, int], Any]) -> Callable[..., Any]:
    def job(arg: int, runtime: Runtime | None = None):
        return fn(runtime or current(), arg)
    job.__doc__ = fn.__doc__
    return job


def escalate_overdue(case_id: int, runtime: Runtime | None = None) -> int | None:
    """Tell the case system an open case's overdue level (分级督办), once per level."""
    from gateway import supervision
    return supervision.escalate_overdue(runtime or current(), case_id)


def send_notice(notice_id: int, runtime: Runtime | None = None) -> str | None:
    """Send one notice to a citizen on their channel (retried with backoff, then parked)."""
    from gateway import notices
    return notices.send_notice(runtime or current(), notice_id)


JOB_FUNCTIONS = {"normalize_ticket": normalize_ticket, "assign_case": assign_case, "deliver_case": deliver_case,
                 "escalate_overdue": escalate_overdue, "send_notice": send_notice,
                 **{name: _channel_job(fn) for name, fn in channel_jobs().items()}}


def __getattr__(name: str):
    # RQ imports `gateway.jobs.<name>`: channel jobs are found here like the stages above.
    try:
        return JOB_FUNCTIONS[name]
    except KeyError:
        raise AttributeError(name) from None
