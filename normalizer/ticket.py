"""The canonical ticket: one type for every channel, and its marshmallow schema (the wire format).

Adapters build a `Ticket` with `new_ticket`; the normalizer fills `normalized`; the gateway stores it,
puts it on jobs and sends it to the case system through `TicketSchema`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

SCHEMA_VERSION = 1

# The contract's statuses, in order.
TICKET_STATUSES = ("received", "normalized", "in_case", "delivered")
CASE_STATUSES = ("open", "accepted", "assigned", "resolved", "closed", "merged")
CRS_NAMES = ("WGS-84", "GCJ-02", "BD-09")


@dataclass
class Location:
    lat: float | None = None
    lng: float | None = None
    crs: str = "WGS-84"
    address: str | None = None


@dataclass
class Attachment:
    id: str | None = None
    url: str | None = None
    content_type: str | None = None


@dataclass
class Contact:
    name: str | None = None
    phone: str | None = None
    user_id: str | None = None


@dataclass
class Ticket:
    """One citizen submission, as every channel describes it."""

    channel: str
    external_id: str
    text: str
    received_at: datetime
    source: str | None = None
    title: str | None = None
    category: str | None = None
    urgent: bool = False
    location: Location | None = None
    attachments: list[Attachment] = field(default_factory=list)
    contact: Contact | None = None
    citizen: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    reference: str | None = None
    status: str = "received"
    normalized: dict[str, Any] | None = None
    version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The ticket in its wire format (JSON-safe)."""
        return _ticket_schema().dump(self)


def new_ticket(*, channel: str, external_id: str, text: str, received_at: datetime, **details: Any) -> Ticket:
    """The one constructor every adapter uses to turn an inbound message into a ticket."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must carry its offset")
    return Ticket(channel=channel, external_id=external_id, text=text, received_at=received_at, **details)


class LocationSchema(Schema):
    lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    lng = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    crs = fields.String(load_default="WGS-84", validate=validate.OneOf(CRS_NAMES))
    address = fields.String(allow_none=True)

    @post_load
    def make(self, data, **_):
        return Location(**data)


class AttachmentSchema(Schema):
    id = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    content_type = fields.String(allow_none=True)

    @post_load
    def make(self, data, **_):
        return Attachment(**data)


class ContactSchema(Schema):
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    user_id = fields.String(allow_none=True)

    @post_load
    def make(self, data, **_):
        return Contact(**data)


class TicketSchema(Schema):
    """Wire format of the canonical ticket (jobs, API, case-system events). `version` names its revision."""

    class Meta:
        # Readers of an older or newer revision keep working: fields they do not know are dropped.
        unknown = EXCLUDE

    version = fields.Integer(load_default=SCHEMA_VERSION)
    reference = fields.String(allow_none=True)
    status = fields.String(load_default="received", validate=validate.OneOf(TICKET_STATUSES))
    channel = fields.String(required=True)
    source = fields.String(allow_none=True)
    external_id = fields.String(required=True)
    received_at = fields.AwareDateTime(required=True)
    title = fields.String(allow_none=True)
    text = fields.String(required=True)
    category = fields.String(allow_none=True)
    urgent = fields.Boolean(load_default=False)
    location = fields.Nested(LocationSchema, allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), load_default=list)
    contact = fields.Nested(ContactSchema, allow_none=True)
    citizen = fields.String(allow_none=True)
    extra = fields.Dict(load_default=dict)
    normalized = fields.Dict(allow_none=True)

    @post_load
    def make(self, data, **_):
        return Ticket(**data)


@lru_cache(maxsize=1)
def _ticket_schema() -> TicketSchema:
    # One instance for every dump and load: building a schema deep-copies its declared fields, which cost more
    # than the dump itself on the acknowledgement path. A schema holds no per-call state, so threads share it.
    return TicketSchema()


def ticket_from_dict(data: dict[str, Any]) -> Ticket:
    """Load a ticket from its wire format."""
    return _ticket_schema().load(data)


__all__ = ["Attachment", "Contact", "Location", "Ticket", "TicketSchema", "new_ticket", "ticket_from_dict",
           "TICKET_STATUSES", "CASE_STATUSES", "CRS_NAMES", "SCHEMA_VERSION", "asdict"]
