"""The report body the app sends and partner webhooks send (plus `received_at`), and the ticket fields it gives."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from normalizer.ticket import CRS_NAMES, Attachment, Contact, Location

_text = dict(validate=validate.Length(max=500))


class LocationIn(Schema):
    lat = fields.Float(allow_nan=False, validate=validate.Range(-90, 90, error="纬度应在 -90 到 90 之间"))
    lng = fields.Float(allow_nan=False, validate=validate.Range(-180, 180, error="经度应在 -180 到 180 之间"))
    crs = fields.String(load_default="WGS-84", validate=validate.OneOf(CRS_NAMES, error="应为 WGS-84、GCJ-02 或 BD-09"))
    address = fields.String(allow_none=True, **_text)

    @validates_schema
    def _pair(self, data, **_):
        if ("lat" in data) != ("lng" in data):
            raise ValidationError("lat 与 lng 必须同时提供")
        if "lat" not in data and not data.get("address"):
            raise ValidationError("请提供坐标（lat、lng）或地址（address）")


class AttachmentIn(Schema):
    id = fields.String(validate=validate.Length(min=1, max=32))
    url = fields.Url(schemes={"http", "https"}, error_messages={"invalid": "应为 http(s) 链接"})
    content_type = fields.String(validate=validate.Length(max=100))

    @validates_schema
    def _one_of(self, data, **_):
        if ("id" in data) == ("url" in data):
            raise ValidationError("附件应为 {id} 或 {url, content_type} 之一")


class ContactIn(Schema):
    name = fields.String(allow_none=True, validate=validate.Length(max=100))
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    user_id = fields.String(allow_none=True, validate=validate.Length(max=128))


class AppSubmission(Schema):
    """What the mobile app sends: `text` required; the rest optional."""

    text = fields.String(required=True)
    title = fields.String(allow_none=True, validate=validate.Length(max=200))
    category = fields.String(allow_none=True, validate=validate.Length(max=200))
    location = fields.Nested(LocationIn, allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentIn), load_default=list, validate=validate.Length(max=20))
    contact = fields.Nested(ContactIn, allow_none=True)

    def __init__(self, *, max_text_chars: int = 20000, **kwargs):
        super().__init__(**kwargs)
        self.max_text_chars = max_text_chars

    @validates_schema
    def _text(self, data, **_):
        text = data.get("text")
        if text is not None and not text.strip():
            raise ValidationError("诉求内容不能为空", "text")
        if text is not None and len(text) > self.max_text_chars:
            raise ValidationError(f"诉求内容过长（最多 {self.max_text_chars} 字）", "text")


class WebhookSubmission(AppSubmission):
    """A partner platform's report: the app's body plus when the report was originally made."""

    received_at = fields.String(allow_none=True)


@lru_cache(maxsize=16)
def submission_schema(kind: type[AppSubmission], max_text_chars: int) -> AppSubmission:
    """One shared instance per schema and text limit: building a schema deep-copies its fields, on every request."""
    return kind(max_text_chars=max_text_chars)


def ticket_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The ticket's fields from a validated report body (the app's or a partner webhook's)."""
    contact = data.get("contact")
    location = data.get("location")
    return dict(
        text=data["text"],
        title=data.get("title"),
        category=data.get("category"),
        location=Location(**location) if location else None,
        attachments=[Attachment(**a) for a in data.get("attachments", [])],
        contact=Contact(**contact) if contact else None,
    )
