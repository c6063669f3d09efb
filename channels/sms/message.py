"""One text message from a citizen's phone, whichever provider carried it, and the checks every text passes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channels.errors import ChannelError
from channels.phone import Phone

# Twilio concatenates a long text into at most 1,600 characters; domestic providers stop well before that.
MAX_TEXT_CHARS = 1600


@dataclass(frozen=True)
class MediaItem:
    url: str
    content_type: str | None


@dataclass
class SmsMessage:
    """A text (or MMS) from `sender`; `message_id` is the provider's id, the idempotency key within `provider`."""

    provider: str               # twilio | aliyun
    message_id: str
    sender: Phone
    text: str
    received_at: datetime
    to: str | None = None
    media: list[MediaItem] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)   # what the provider sent, for the ticket's extra

    @property
    def idem_key(self) -> str:
        return f"{self.provider}:{self.message_id}"


def check_text(value: Any, name: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """A citizen's text, refused when it is not text, too long, or carries NUL/control bytes no phone sends."""
    if not isinstance(value, str):
        raise ChannelError(400, "field_invalid", f"字段 {name} 应为文本")
    if len(value) > max_chars:
        raise ChannelError(413, "text_too_long", f"字段 {name} 过长（最多 {max_chars} 字）")
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value) or "\x7f" in value:
        raise ChannelError(400, "control_characters", f"字段 {name} 含有不允许的控制字符（如 NUL）")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ChannelError(400, "invalid_text", f"字段 {name} 不是合法的文本")
    return value
