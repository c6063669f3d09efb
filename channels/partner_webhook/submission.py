"""Partner platforms (110 linkage, the petition platform …): signed JSON, one secret per source."""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from channels.errors import ChannelError
from channels.jsonbody import load_with, parse_json_object
from channels.report_schema import WebhookSubmission, submission_schema, ticket_fields
from channels.signing import verify_signed
from channels.times import parse_time
from normalizer.ticket import Ticket, new_ticket

CHANNEL = "webhook"


def parse_webhook(source: str, secrets: Mapping[str, str], headers: Mapping[str, str], body: bytes, *,
                  now: datetime, zone: str, max_text_chars: int) -> tuple[str, Ticket]:
    """Verify a partner's signed report and parse it; returns (event id, ticket)."""
    secret = secrets.get(source)
    if secret is None:
        raise ChannelError(404, "unknown_source", f"未配置的合作平台：{source}")
    event_id = verify_signed(secret, headers, body, now.timestamp())
    data = load_with(submission_schema(WebhookSubmission, max_text_chars), parse_json_object(body))
    received_at = now
    if data.get("received_at"):
        try:
            received_at = parse_time(data["received_at"], zone)
        except ValueError:
            raise ChannelError(422, "invalid_fields", "请求字段有误",
                               {"received_at": ["应为 ISO 8601 时间"]}) from None
        if received_at > now:
            # A partner clock ahead of ours must not put a report in the future.
            received_at = now
    fields = ticket_fields(data)
    user_id = fields["contact"].user_id if fields["contact"] else None
    ticket = new_ticket(channel=CHANNEL, source=source, external_id=f"{source}:{event_id}",
                        received_at=received_at, citizen=f"{source}:{user_id}" if user_id else None, **fields)
    return event_id, ticket
