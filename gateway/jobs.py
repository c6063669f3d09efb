"""The pipeline's job functions at stable import paths (RQ names them as `gateway.jobs.<name>`).

Each takes one id (JSON), runs on the process's installed runtime, and is idempotent. The workers carry tickets
into cases in batches (gateway.pipeline) and send events from their dispatcher; `normalize_ticket`, `assign_case`
and `deliver_case` remain for one ticket or case at a time (tools, tests, jobs queued by an older version).
"""
from __future__ import annotations

from gateway import delivery, pipeline
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


def fetch_wechat_media(ticket_id: int, runtime: Runtime | None = None) -> int:
    """Copy a WeChat ticket's media into the attachment store before WeChat's 3-day expiry."""
    from gateway import wechat_media
    return wechat_media.fetch_media(runtime or current(), ticket_id)


def send_sms(outbox_id: int, runtime: Runtime | None = None) -> str | None:
    """Send one text from the SMS outbox (retried with backoff; failures kept visible)."""
    from gateway import sms_outbound
    return sms_outbound.send_one(runtime or current(), outbox_id)


JOB_FUNCTIONS = {"normalize_ticket": normalize_ticket, "assign_case": assign_case, "deliver_case": deliver_case,
                 "fetch_wechat_media": fetch_wechat_media, "send_sms": send_sms}
