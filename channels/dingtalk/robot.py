"""A DingTalk robot's callback: check the `timestamp` and `sign` headers, read the JSON message, build the reply.

DingTalk signs each callback with the robot's AppSecret: sign = base64(HMAC-SHA256(secret, timestamp + "\n" +
secret)), timestamp in milliseconds, and a timestamp more than an hour away is not DingTalk's. The robot may answer
in the callback's own response, which is how the citizen hears back.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Mapping

from channels.errors import ChannelError
from channels.jsonbody import parse_json_object

CHANNEL = "dingtalk"
MAX_SKEW_MS = 3600 * 1000


@dataclass(frozen=True)
class RobotMessage:
    """One message a citizen sent the robot."""

    msg_id: str
    sender: str               # DingTalk's stable id of the sender (`senderId`)
    nick: str | None
    kind: str                 # DingTalk's `msgtype`: text, picture, richText, audio, file …
    text: str                 # the text typed ("" for other kinds)
    fields: Mapping[str, Any]  # the callback's other fields, kept in the ticket

    @property
    def citizen(self) -> str:
        return f"{CHANNEL}:{self.sender}"


def sign(timestamp: str, secret: str) -> str:
    """DingTalk's signature of a callback sent at `timestamp` (ms) to a robot with this AppSecret."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(headers: Mapping[str, str], secret: str, now: float) -> None:
    """Check the headers at time `now` (seconds); 401 when they are missing, stale or wrong."""
    timestamp, given = headers.get("timestamp"), headers.get("sign")
    if not timestamp or not given:
        raise ChannelError(401, "signature_missing", "缺少钉钉签名请求头（timestamp、sign）")
    if not timestamp.isdigit() or abs(int(timestamp) - now * 1000) > MAX_SKEW_MS:
        raise ChannelError(401, "signature_expired", "钉钉请求时间戳无效或已超过一小时")
    if not hmac.compare_digest(sign(timestamp, secret), given):
        raise ChannelError(401, "signature_invalid", "钉钉签名校验失败")


def parse_message(body: bytes, *, max_text_chars: int) -> RobotMessage:
    """The callback's JSON as a message; 422 when DingTalk's own fields are missing."""
    data = parse_json_object(body)
    missing = [name for name in ("msgId", "senderId", "msgtype") if not isinstance(data.get(name), str)
               or not data[name]]
    if missing:
        raise ChannelError(422, "invalid_fields", "请求字段有误", {name: ["必填"] for name in missing})
    text = data.get("text") if data["msgtype"] == "text" else None
    text = text.get("content", "") if isinstance(text, dict) else ""
    if not isinstance(text, str):
        raise ChannelError(422, "invalid_fields", "请求字段有误", {"text.content": ["应为字符串"]})
    if len(text) > max_text_chars:
        raise ChannelError(422, "invalid_fields", "请求字段有误", {"text.content": [f"最多 {max_text_chars} 字"]})
    kept = {k: v for k, v in data.items() if k not in ("text", "sessionWebhook")}
    return RobotMessage(data["msgId"], data["senderId"], data.get("senderNick"), data["msgtype"], text.strip(), kept)


def reply(text: str) -> dict[str, Any]:
    """The response body that makes the robot say `text` in the chat."""
    return {"msgtype": "text", "text": {"content": text}}
