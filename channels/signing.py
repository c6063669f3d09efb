"""Signed JSON (partner webhooks in, case-system events out, case-system updates in).

`X-Gateway-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + event_id + "." + raw body)>`, with
`X-Gateway-Timestamp` (unix seconds, at most 300 s off) and `X-Gateway-Event-Id` (the idempotency key).
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Mapping

from channels.errors import ChannelError

TIMESTAMP = "X-Gateway-Timestamp"
EVENT_ID = "X-Gateway-Event-Id"
SIGNATURE = "X-Gateway-Signature"
MAX_SKEW_SECONDS = 300


def signature(secret: str, timestamp: str, event_id: str, body: bytes) -> str:
    """The header value for these parts."""
    message = timestamp.encode() + b"." + event_id.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, event_id: str, body: bytes, now: float) -> dict[str, str]:
    """The three headers that sign `body` as event `event_id` at time `now`."""
    timestamp = str(int(now))
    return {TIMESTAMP: timestamp, EVENT_ID: event_id, SIGNATURE: signature(secret, timestamp, event_id, body)}


def verify_signed(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> str:
    """Check the three headers against `body`; return the event id, or raise a 401 ChannelError."""
    timestamp, event_id, given = (headers.get(h) for h in (TIMESTAMP, EVENT_ID, SIGNATURE))
    if not timestamp or not event_id or not given:
        raise ChannelError(401, "signature_missing", "缺少签名请求头（X-Gateway-Timestamp、X-Gateway-Event-Id、"
                                                     "X-Gateway-Signature）")
    try:
        skew = abs(now - int(timestamp))
    except (ValueError, OverflowError):  # not a number, or one beyond any float
        raise ChannelError(401, "timestamp_invalid", "X-Gateway-Timestamp 必须是 Unix 秒数") from None
    if skew > MAX_SKEW_SECONDS:
        raise ChannelError(401, "timestamp_stale", "请求时间戳与服务器时间相差超过 300 秒")
    if len(event_id) > 200 or not event_id.isprintable():
        # The event id is stored as the idempotency key: PostgreSQL text cannot hold NUL or other controls.
        raise ChannelError(401, "event_id_invalid", "X-Gateway-Event-Id 应为不超过 200 个可打印字符")
    # Bytes, not str: compare_digest raises TypeError on a str with non-ASCII characters.
    if not hmac.compare_digest(signature(secret, timestamp, event_id, body).encode(), given.strip().encode()):
        raise ChannelError(401, "signature_invalid", "签名校验失败")
    return event_id
