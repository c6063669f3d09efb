"""The hotline channel's request body: one call, as the call-center system or the operator console sends it."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from channels.case_ids import MAX_CASE_ID

MAX_TURNS = 2000


class StrictBoolean(fields.Boolean):
    """true or false only: marshmallow's Boolean would also take "yes", 1 or "on" from a JSON body."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class CaseId(fields.Integer):
    """A positive JSON integer (not a bool, which Python counts as an int; not a string of digits)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class TurnIn(Schema):
    """One turn of a speech-recognition transcript."""

    speaker = fields.String(required=True, validate=validate.Length(min=1, max=32))
    text = fields.String(required=True, validate=validate.Length(max=20000))
    start = fields.Float(allow_nan=False, validate=validate.Range(min=0, error="应为不小于 0 的秒数"))
    end = fields.Float(allow_nan=False, validate=validate.Range(min=0, error="应为不小于 0 的秒数"))

    @validates_schema
    def _not_blank(self, data, **_):
        if not data.get("speaker", "x").strip():
            raise ValidationError("说话人不能为空", "speaker")
        if "text" in data and not data["text"].strip():
            raise ValidationError("该段转写内容为空", "text")


class Transcript(fields.Field):
    """Plain text, or the turns `[{speaker, text}, …]` that speech recognition produces."""

    default_error_messages = {"invalid": "应为文本，或 {{speaker, text}} 对象组成的数组"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if not value.strip():
                raise ValidationError("转写内容不能为空")
            return value
        if isinstance(value, list):
            if not value:
                raise ValidationError("转写不能是空数组")
            if len(value) > MAX_TURNS:
                raise ValidationError(f"转写段数过多（最多 {MAX_TURNS} 段）")
            if not all(isinstance(turn, dict) for turn in value):
                raise ValidationError("每一段转写应为 {speaker, text} 对象")
            return TurnIn(many=True).load(value)
        raise self.make_error("invalid")


class HotlineCall(Schema):
    """What the call-center system (or the console) sends for one call: `call_id`, and a transcript or summary."""

    call_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    caller_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    started_at = fields.String(allow_none=True, validate=validate.Length(max=64))
    agent_id = fields.String(allow_none=True, validate=validate.Length(max=64))
    transcript = Transcript(allow_none=True, metadata={
        "description": "text, or speech-recognition turns [{speaker, text, start?, end?}]; speaker caller/citizen "
                       "or agent/operator (shown as 市民 / 话务员)"})
    summary = fields.String(allow_none=True)
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    category = fields.String(allow_none=True, validate=validate.Length(max=200))
    urgent = StrictBoolean(load_default=False, error_messages={"invalid": "应为布尔值（true/false）"})
    attach_to_case = CaseId(allow_none=True,
                            validate=validate.Range(min=1, max=MAX_CASE_ID, error="应为正整数（案件编号）"),
                            error_messages={"invalid": "应为整数（案件编号）"})

    def __init__(self, *, max_text_chars: int = 20000, **kwargs):
        super().__init__(**kwargs)
        self.max_text_chars = max_text_chars

    @validates_schema
    def _call_id(self, data, **_):
        call_id = data.get("call_id")
        if call_id is not None and (call_id != call_id.strip() or not call_id.isprintable()):
            raise ValidationError("通话编号应为可打印字符，且首尾不能有空白", "call_id")

    @validates_schema
    def _content(self, data, **_):
        summary = data.get("summary")
        if summary is not None and not summary.strip():
            raise ValidationError("通话摘要不能为空白", "summary")
        if summary is not None and len(summary) > self.max_text_chars:
            raise ValidationError(f"通话摘要过长（最多 {self.max_text_chars} 字）", "summary")
        if data.get("transcript") is None and summary is None:
            raise ValidationError("请提供通话转写（transcript）或通话摘要（summary）", "transcript")
