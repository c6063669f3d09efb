"""A domestic cloud SMS provider's uplink push (Aliyun SmsUp's HTTP batch format) as `SmsMessage`s.

The provider POSTs a JSON array, `[{phone_number, content, send_time, sign_name?, dest_code, sequence_id}]`, to
the URL configured in its console, which carries our secret token (`?token=…`: the push has no signature).
It counts a batch as delivered only on `{"code": 0}` and pushes it again otherwise (after 1, 5 and 10 minutes),
so the gateway says 0 only when every message of the batch is stored.
"""
from __future__ import annotations

import hmac
import json
from datetime import datetime
from typing import Any

from channels.errors import ChannelError
from channels.jsonbody import check_strings
from channels.phone import parse_phone
from channels.sms.message import MAX_TEXT_CHARS, SmsMessage, check_text
from channels.times import parse_time

PROVIDER = "aliyun"
MAX_BATCH = 500
ACCEPTED = {"code": 0, "msg": "成功"}


def check_token(given: str | None, expected: str) -> None:
    """Raise a 403 unless `given` is the configured token (compared in constant time)."""
    if not given or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise ChannelError(403, "token_invalid", "token 参数错误")


def answer(code: int, msg: str, **more: Any) -> dict[str, Any]:
    """The provider's reply format: `code` 0 is success, anything else means "push again"."""
    return {"code": code, "msg": msg, **more}


def _item(data: Any, index: int, *, region: str, zone: str, now: datetime, max_text_chars: int) -> SmsMessage:
    where = f"第 {index + 1} 条"
    if not isinstance(data, dict):
        raise ChannelError(400, "item_invalid", f"{where}应为对象")
    seq = data.get("sequence_id")
    if isinstance(seq, bool) or not isinstance(seq, (int, str)) or str(seq).strip() == "" or len(str(seq)) > 64:
        raise ChannelError(400, "field_invalid", f"{where}：sequence_id 应为数字或字符串")
    phone = data.get("phone_number")
    if not isinstance(phone, str) or not phone.strip():
        raise ChannelError(400, "field_missing", f"{where}：缺少 phone_number")
    check_text(phone, "phone_number", 64)
    content = check_text(data.get("content"), "content", max_text_chars)
    received_at = now
    if isinstance(data.get("send_time"), str) and data["send_time"].strip():
        try:
            received_at = min(parse_time(data["send_time"].replace(" ", "T", 1), zone), now)
        except ValueError:
            raise ChannelError(400, "field_invalid", f"{where}：send_time 应为 yyyy-MM-dd HH:mm:ss") from None
    for name in ("sign_name", "dest_code"):
        if data.get(name) is not None and not isinstance(data[name], (str, int)):
            raise ChannelError(400, "field_invalid", f"{where}：{name} 应为文本")
    fields = {k: data[k] for k in ("phone_number", "send_time", "sign_name", "dest_code", "sequence_id")
              if data.get(k) is not None}
    return SmsMessage(provider=PROVIDER, message_id=str(seq).strip(), sender=parse_phone(phone, region),
                      text=content, received_at=received_at, to=str(data.get("dest_code") or "") or None,
                      fields=fields)


def parse_batch(body: bytes, *, region: str, zone: str, now: datetime,
                max_text_chars: int = MAX_TEXT_CHARS, max_bytes: int = 1048576) -> list[tuple[SmsMessage, bytes]]:
    """Each message of the batch with its own canonical bytes (its idempotency digest); 400 for a bad batch.

    The whole batch is checked before anything is stored: a malformed push will not get better by being pushed
    again, and storing half of it would hide that.
    """
    if len(body) > max_bytes:
        raise ChannelError(413, "body_too_large", f"请求体过大（最大 {max_bytes} 字节）")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ChannelError(400, "invalid_json", "请求体不是合法的 JSON") from None
    check_strings(data)  # NUL or a lone surrogate anywhere can never be stored: a 400, not endless re-pushes
    if isinstance(data, dict):
        data = [data]   # a single message outside its array is still a message
    if not isinstance(data, list) or not data:
        raise ChannelError(400, "invalid_batch", "请求体应为非空的 JSON 数组")
    if len(data) > MAX_BATCH:
        raise ChannelError(413, "batch_too_large", f"一次推送最多 {MAX_BATCH} 条")
    out = []
    for index, item in enumerate(data):
        message = _item(item, index, region=region, zone=zone, now=now, max_text_chars=max_text_chars)
        raw = json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        out.append((message, raw))
    return out
