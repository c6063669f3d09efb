"""Strict JSON bodies for the JSON channels: UTF-8, an object, no NUL, no lone surrogates, Chinese errors."""
from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError

from channels.errors import ChannelError

# marshmallow's messages, as the people who read our errors read them.
_MESSAGES_ZH = {
    "Missing data for required field.": "缺少必填字段",
    "Unknown field.": "未知字段",
    "Field may not be null.": "不能为 null",
    "Not a valid string.": "应为字符串",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid boolean.": "应为布尔值（true/false）",
    "Not a valid datetime.": "应为 ISO 8601 时间",
    "Not a valid list.": "应为数组",
    "Invalid input type.": "类型错误，应为对象",
    "Not a valid mapping type.": "类型错误，应为对象",
    "Shorter than minimum length 1.": "不能为空",
}


def _translate(messages: Any) -> Any:
    if isinstance(messages, dict):
        return {key: _translate(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_translate(m) for m in messages]
    return _MESSAGES_ZH.get(messages, messages)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def check_strings(value: Any) -> None:
    """Raise a 400 ChannelError when any string (key or value) in a parsed JSON value has NUL or a lone surrogate."""
    # PostgreSQL cannot store NUL in text, and a lone surrogate cannot be encoded as UTF-8: both would fail
    # deep in the store, so they are refused at the door.
    if isinstance(value, str):
        if "\x00" in value:
            raise ChannelError(400, "nul_byte", "文本中不能包含 NUL（\\u0000）字符")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ChannelError(400, "invalid_text", "文本中含有无法编码的字符（孤立的代理项）") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_strings(key)
            check_strings(item)
    elif isinstance(value, list):
        for item in value:
            check_strings(item)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 ChannelError that says what is wrong."""
    if not body:
        raise ChannelError(400, "empty_body", "请求体为空，应为 JSON 对象")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ChannelError(400, "invalid_utf8", "请求体不是合法的 UTF-8 编码") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ChannelError(400, "invalid_json", "请求体不是合法的 JSON") from None
    if not isinstance(data, dict):
        raise ChannelError(400, "invalid_json", "请求体应为 JSON 对象")
    check_strings(data)
    return data


def load_with(schema: Schema, data: dict[str, Any]) -> Any:
    """Validate `data` with `schema`; field errors become a 400 (422 for valid JSON of the wrong shape)."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ChannelError(422, "invalid_fields", "请求字段有误", _translate(exc.messages)) from None
