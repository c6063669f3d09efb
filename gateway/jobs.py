"""The pipeline's job functions at stable import paths (RQ names them as `gateway.jobs.<name>`).

Each takes one id (JSON), runs on the process's installed runtime, and is idempotent.
"""
from __future__ import annotations

from gateway import casework, delivery, normalize_stage
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


def fetch_wechat_media(ticket_id: int, runtime: Runtime | None = None) -> int:
    """Copy a WeChat ticket's media into the attachment store before WeChat's 3-day expiry."""
    from gateway import wechat_media
    return wechat_media.fetch_media(runtime or current(), ticket_id)


def send_sms(outbox_id: int, runtime: Runtime | None = None) -> str | None:
    """Send one text from the SMS outbox (retried with backoff; failures kept visible)."""
    from gateway import sms_outbound
    return sms_outbound.send_one(runtime or current(), outbox_id)


def escalate_overdue(case_id: int, runtime: Runtime | None = None) -> int | None:
    """Tell the case system an open case's overdue level (分级督办), once per level."""
    from gateway import supervision
    return supervision.escalate_overdue(runtime or current(), case_id)


def send_notice(notice_id: int, runtime: Runtime | None = None) -> str | None:
    """Send one notice to a citizen on their channel (retried with backoff, then parked)."""
    from gateway import notices
    return notices.send_notice(runtime or current(), notice_id)


JOB_FUNCTIONS = {"normalize_ticket": normalize_ticket, "assign_case": assign_case, "deliver_case": deliver_case,
                 "fetch_wechat_media": fetch_wechat_media, "send_sms": send_sms,
                 "escalate_overdue": escalate_overdue, "send_notice": send_notice}
