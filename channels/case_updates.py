"""Case-system updates coming back: signed JSON `{case_id, status, message, unit, updated_at}`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from marshmallow import Schema, fields, validate

from channels.case_ids import MAX_CASE_ID
from channels.errors import ChannelError
from channels.jsonbody import load_with, parse_json_object
from channels.signing import verify_signed
from channels.times import parse_time

UPDATE_STATUSES = ("accepted", "assigned", "resolved", "closed")
# How far ahead of our clock an update may be dated (the two systems' clocks drift a little). Later updates are
# ignored when older than the case's last, so one update dated 9999-12-31 would freeze the case for good.
MAX_FUTURE = timedelta(minutes=5)


class CaseUpdateIn(Schema):
    case_id = fields.Integer(required=True, strict=True,
                             validate=validate.Range(min=1, max=MAX_CASE_ID, error="应为正整数（案件编号）"))
    status = fields.String(required=True, validate=validate.OneOf(UPDATE_STATUSES,
                                                                  error="应为 accepted、assigned、resolved 或 closed"))
    message = fields.String(allow_none=True, validate=validate.Length(max=5000))
    unit = fields.String(allow_none=True, validate=validate.Length(max=200))
    updated_at = fields.String(required=True)


@dataclass
class CaseUpdate:
    event_id: str
    case_id: int
    status: str
    message: str | None
    unit: str | None
    updated_at: datetime


def parse_case_update(secret: str, headers: Mapping[str, str], body: bytes, *, now: datetime,
                      zone: str) -> CaseUpdate:
    """Verify and parse one update from the case system."""
    event_id = verify_signed(secret, headers, body, now.timestamp())
    data = load_with(CaseUpdateIn(), parse_json_object(body))
    try:
        updated_at = parse_time(data["updated_at"], zone)
    except ValueError:
        raise ChannelError(422, "invalid_fields", "请求字段有误", {"updated_at": ["应为 ISO 8601 时间"]}) from None
    if updated_at > now + MAX_FUTURE:
        raise ChannelError(422, "invalid_fields", "请求字段有误",
                           {"updated_at": [f"不能晚于当前时间 {int(MAX_FUTURE.total_seconds() // 60)} 分钟以上"]})
    return CaseUpdate(event_id, data["case_id"], data["status"], data.get("message"), data.get("unit"), updated_at)
