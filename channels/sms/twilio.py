"""Twilio's messaging webhook: the X-Twilio-Signature check, the form as an `SmsMessage`, and TwiML replies.

Twilio signs the exact URL it requested (scheme, host, port, path and query) followed by every POST parameter
sorted by name. Behind a TLS-terminating proxy, or on a non-default port, the URL this process sees is not that
URL, so the gateway rebuilds it from GATEWAY_PUBLIC_URL + path (+ query string) and lets twilio's own
RequestValidator decide (it also tries the URL with and without the default port, as Twilio's servers vary).
"""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.twiml.messaging_response import MessagingResponse

from channels.errors import ChannelError
from channels.phone import parse_phone
from channels.sms.message import MAX_TEXT_CHARS, MediaItem, SmsMessage, check_text

PROVIDER = "twilio"
SIGNATURE_HEADER = "X-Twilio-Signature"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
MAX_MEDIA = 10                      # Twilio's own limit per MMS
MAX_FIELDS = 200
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
# The fields kept with the ticket; the rest (ApiVersion, SmsStatus …) say nothing about the report.
KEPT_FIELDS = ("MessageSid", "AccountSid", "MessagingServiceSid", "From", "To", "NumMedia", "NumSegments",
               "FromCity", "FromState", "FromZip", "FromCountry", "ToCity", "ToState", "ToCountry")


class Params(dict):
    """Form fields as name → list of values, read by RequestValidator through `getall` (repeats count)."""

    def getall(self, name: str) -> list[str]:
        return self[name]

    def first(self, name: str) -> str | None:
        values = self.get(name)
        return values[0] if values else None


def signed_url(public_url: str, path: str, query_string: str) -> str:
    """The URL Twilio signed: the public base, the path, and the query string exactly as requested."""
    return f"{public_url.rstrip('/')}{path}" + (f"?{query_string}" if query_string else "")


def parse_form(body: bytes, max_bytes: int = 65536) -> Params:
    """The form-encoded body as Params; 400/413 when it is not one."""
    if len(body) > max_bytes:
        raise ChannelError(413, "body_too_large", f"请求体过大（最大 {max_bytes} 字节）")
    try:
        text = body.decode("ascii")   # a form body is percent-encoded ASCII
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise ChannelError(400, "invalid_form", "请求体不是合法的表单（application/x-www-form-urlencoded, UTF-8）") \
            from None
    params = Params()
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            # No phone or Twilio field carries NUL, and PostgreSQL cannot store it in text.
            raise ChannelError(400, "control_characters", f"字段 {name[:40]!r} 含有 NUL 字符")
        params.setdefault(name, []).append(value)
    return params


def verify(url: str, params: Params, signature: str | None, auth_token: str,
           settings_header: str | None = None) -> None:
    """Raise a 403 ChannelError unless `signature` is Twilio's over `url` and `params`."""
    if not signature:
        raise ChannelError(403, "signature_missing", "缺少 X-Twilio-Signature 请求头")
    algorithm = get_signature_algorithm(settings_header)
    if not RequestValidator(auth_token).validate(url, params, signature.strip(), algorithm):
        raise ChannelError(403, "signature_invalid", "X-Twilio-Signature 校验失败")


def _single(params: Params, name: str, required: bool = True) -> str | None:
    values = params.get(name)
    if not values:
        if required:
            raise ChannelError(400, "field_missing", f"缺少字段 {name}")
        return None
    if len(values) > 1:
        raise ChannelError(400, "field_repeated", f"字段 {name} 重复")
    if len(values[0]) > 2000 and name != "Body":
        raise ChannelError(400, "field_invalid", f"字段 {name} 过长")
    return values[0]


def _media(params: Params) -> list[MediaItem]:
    raw = _single(params, "NumMedia", required=False) or "0"
    if not raw.isascii() or not raw.isdigit():
        raise ChannelError(400, "field_invalid", "字段 NumMedia 应为非负整数")
    count = int(raw)
    if count > MAX_MEDIA:
        raise ChannelError(400, "field_invalid", f"字段 NumMedia 超过 {MAX_MEDIA}")
    items = []
    for n in range(count):
        url = _single(params, f"MediaUrl{n}")
        if not re.match(r"^https?://", url):
            raise ChannelError(400, "field_invalid", f"字段 MediaUrl{n} 应为 http(s) 链接")
        content_type = _single(params, f"MediaContentType{n}", required=False)
        items.append(MediaItem(url, content_type or None))
    return items


def parse_message(params: Params, *, region: str, received_at: datetime,
                  max_text_chars: int = MAX_TEXT_CHARS) -> SmsMessage:
    """The verified form as an SmsMessage; 400 for missing From/Body/MessageSid or malformed fields."""
    sid = _single(params, "MessageSid", required=False) or _single(params, "SmsSid", required=False)
    if not sid:
        raise ChannelError(400, "field_missing", "缺少字段 MessageSid")
    if not _SID.match(sid):
        raise ChannelError(400, "field_invalid", "字段 MessageSid 格式不正确")
    sender = _single(params, "From")
    body = check_text(_single(params, "Body"), "Body", max_text_chars)
    check_text(sender, "From", 64)
    fields = {name: params.first(name) for name in KEPT_FIELDS if params.get(name)}
    return SmsMessage(provider=PROVIDER, message_id=sid, sender=parse_phone(sender, region), text=body,
                      received_at=received_at, to=params.first("To"), media=_media(params), fields=fields)


def twiml(text: str | None) -> str:
    """A MessagingResponse replying `text` to the sender (no text: an empty Response, nothing is sent)."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


def twiml_error(code: str, message: str) -> str:
    """An empty Response (nothing goes to the sender) that says in a comment why the request was refused."""
    note = f"{code}: {message}".replace("--", "- -")
    return twiml(None).replace("?>", f"?><!-- {note} -->", 1)
