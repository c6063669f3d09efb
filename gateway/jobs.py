"""The pipeline's job functions at stable import paths (RQ names them as `gateway.jobs.<name>`).

Each takes one id (JSON), runs on the process's installed runtime, and is idempotent. The pipeline's own stages are
defined here; each channel's jobs come from its registered spec and are found under the same path.
"""
from __future__ import annotations

from typing import Any, Callable

from gateway import casework, delivery, normalize_stage
from gateway.registry import channel_jobs
from gateway.runtime import Runtime, current


def normalize_ticket(ticket_id: int, runtime: Runtime | None = None) -> bool:
    """Stage 1: normalize a received ticket."""
    return normalize_stage.normalize_ticket(runtime or current(), ticket_id)


def assign_case(ticket_id: int, runtime: Runtime | None = None) -> int | None:
    """Stage 2: dedupe a normalized ticket into a case."""
    return casework.assign_case(runtime or current(), ticket_id)


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
