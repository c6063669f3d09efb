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
        data = _dump_plain(self)
        return data if data is not None else _ticket_schema().dump(self)


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
    ticket = _load_plain(data)
    return ticket if ticket is not None else _ticket_schema().load(data)


# The schema's twin for the shape `to_dict` writes. A worker loads and dumps every ticket of a batch (about 0.9 and
# 0.5 ms each through marshmallow, a tenth of the pipeline's own CPU). The twins take only values of exactly the
# types and ranges the schema would accept unchanged and build what it would build, field by field; anything else
# (a missing required field, an unknown key, a bytes string, a naive time, a lat out of range ...) returns None and
# goes through marshmallow, which stays the one validator and the one source of its error messages.
# tests/normalizer/test_ticket_wire.py holds both paths equal on every field.
_STRINGS = ("reference", "source", "title", "category", "citizen")   # String(allow_none=True)
_REQUIRED = ("channel", "external_id", "text")                       # String(required=True)
_TICKET_KEYS = frozenset(TicketSchema._declared_fields)
_PARTS = {Location: ("lat", "lng", "crs", "address"), Attachment: ("id", "url", "content_type"),
          Contact: ("name", "phone", "user_id")}


def _text_or_none(value: Any) -> bool:
    return value is None or type(value) is str


def _load_part(kind: type, value: Any) -> Any:
    """A Location, Attachment or Contact from its dict, as its schema loads it; `_NOT_PLAIN` when it would not."""
    if type(value) is not dict or not value.keys() <= set(_PARTS[kind]):
        return _NOT_PLAIN
    if kind is not Location:
        return kind(**value) if all(map(_text_or_none, value.values())) else _NOT_PLAIN
    if not _text_or_none(value.get("address")):
        return _NOT_PLAIN
    loaded = dict(value)
    for name, bound in (("lat", 90.0), ("lng", 180.0)):
        number = value.get(name)
        if number is None:
            continue
        if type(number) not in (float, int):
            return _NOT_PLAIN
        try:
            number = float(number)
        except OverflowError:   # an int beyond any float: the schema says "too large"
            return _NOT_PLAIN
        if not -bound <= number <= bound:   # NaN fails this too (the schema refuses it)
            return _NOT_PLAIN
        loaded[name] = number
    if "crs" in value:
        if value["crs"] not in CRS_NAMES or type(value["crs"]) is not str:
            return _NOT_PLAIN
    else:
        loaded = dict(loaded, crs="WGS-84")  # the schema's load_default, placed after the given fields
    return Location(**{k: loaded[k] for k in _PARTS[Location] if k in loaded})


_NOT_PLAIN = object()


def _load_plain(data: Any) -> Ticket | None:
    """`TicketSchema().load(data)` for data in `to_dict`'s own shape, or None."""
    if type(data) is not dict or not data.keys() <= _TICKET_KEYS:
        return None
    get = data.get
    fields_: dict[str, Any] = {}
    for name in _REQUIRED:
        if type(get(name)) is not str:
            return None
        fields_[name] = data[name]
    received = get("received_at")
    if type(received) is not str:
        return None
    try:
        received = datetime.fromisoformat(received)
    except ValueError:
        return None
    if received.tzinfo is None or received.utcoffset() is None:
        return None
    fields_["received_at"] = received
    for name in _STRINGS:
        if name in data:
            if not _text_or_none(data[name]):
                return None
            fields_[name] = data[name]
    version, status, urgent = get("version", SCHEMA_VERSION), get("status", "received"), get("urgent", False)
    if type(version) is not int or type(status) is not str or status not in TICKET_STATUSES \
            or type(urgent) is not bool:
        return None
    fields_.update(version=version, status=status, urgent=urgent)
    for name, kind in (("location", Location), ("contact", Contact)):
        if name in data:
            part = None if data[name] is None else _load_part(kind, data[name])
            if part is _NOT_PLAIN:
                return None
            fields_[name] = part
    attachments = get("attachments", [])
    if type(attachments) is not list:
        return None
    fields_["attachments"] = [_load_part(Attachment, item) for item in attachments]
    if _NOT_PLAIN in fields_["attachments"]:
        return None
    extra = get("extra", {})
    if type(extra) is not dict:
        return None
    fields_["extra"] = dict(extra)
    if "normalized" in data:
        normalized = data["normalized"]
        if normalized is not None and type(normalized) is not dict:
            return None
        fields_["normalized"] = None if normalized is None else dict(normalized)
    return Ticket(**fields_)


def _dump_part(kind: type, part: Any) -> dict[str, Any] | None:
    """A Location, Attachment or Contact (`kind`) as its schema dumps it, or None when it is not plain."""
    if type(part) is not kind:
        return None
    out = {name: getattr(part, name) for name in _PARTS[kind]}
    if kind is Location:
        if not all(v is None or type(v) is float for v in (out["lat"], out["lng"])) or type(out["crs"]) is not str:
            return None
        return out if _text_or_none(out["address"]) else None
    return out if all(map(_text_or_none, out.values())) else None


def _dump_plain(ticket: Ticket) -> dict[str, Any] | None:
    """`TicketSchema().dump(ticket)` for a ticket of plain values (the keys in the schema's order), or None."""
    if type(ticket) is not Ticket:
        return None
    t = ticket
    if type(t.version) is not int or type(t.status) is not str or type(t.received_at) is not datetime \
            or not all(type(v) is str for v in (t.channel, t.external_id, t.text)) \
            or not all(map(_text_or_none, (t.reference, t.source, t.title, t.category, t.citizen))) \
            or type(t.attachments) is not list or type(t.extra) is not dict \
            or not (t.normalized is None or type(t.normalized) is dict):
        return None
    location = None if t.location is None else _dump_part(Location, t.location)
    contact = None if t.contact is None else _dump_part(Contact, t.contact)
    attachments = [_dump_part(Attachment, a) for a in t.attachments]
    if (location is None) is not (t.location is None) or (contact is None) is not (t.contact is None) \
            or None in attachments:
        return None
    return {"version": t.version, "reference": t.reference, "status": t.status, "channel": t.channel,
            "source": t.source, "external_id": t.external_id, "received_at": t.received_at.isoformat(),
            "title": t.title, "text": t.text, "category": t.category, "urgent": t.urgent, "location": location,
            "attachments": attachments, "contact": contact, "citizen": t.citizen, "extra": dict(t.extra),
            "normalized": None if t.normalized is None else dict(t.normalized)}


__all__ = ["Attachment", "Contact", "Location", "Ticket", "TicketSchema", "new_ticket", "ticket_from_dict",
           "TICKET_STATUSES", "CASE_STATUSES", "CRS_NAMES", "SCHEMA_VERSION", "asdict"]
