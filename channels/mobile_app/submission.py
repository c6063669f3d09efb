"""The mobile app channel: a Bearer-authenticated JSON report with an `Idempotency-Key`."""
from __future__ import annotations

from datetime import datetime

from channels.errors import ChannelError
from channels.jsonbody import load_with, parse_json_object
from channels.report_schema import AppSubmission, submission_schema, ticket_fields
from normalizer.ticket import Ticket, new_ticket

CHANNEL = "app"


def check_idempotency_key(value: str | None) -> str:
    """The header's value, or a 400: the app must name each submission so that its retries are harmless."""
    if not value or not value.strip():
        raise ChannelError(400, "idempotency_key_missing", "缺少 Idempotency-Key 请求头")
    if len(value) > 200 or not value.isprintable():
        raise ChannelError(400, "idempotency_key_invalid", "Idempotency-Key 应为不超过 200 个可打印字符")
    return value.strip()


def parse_app_submission(body: bytes, *, client: str, idempotency_key: str, now: datetime,
                         max_text_chars: int) -> Ticket:
    """Turn the app's request body into a ticket, or raise ChannelError."""
    data = load_with(submission_schema(AppSubmission, max_text_chars), parse_json_object(body))
    fields = ticket_fields(data)
    user_id = fields["contact"].user_id if fields["contact"] else None
    return new_ticket(channel=CHANNEL, external_id=f"{client}:{idempotency_key}", received_at=now,
                      citizen=f"app:{user_id}" if user_id else None, **fields)
