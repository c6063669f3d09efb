"""The ticket's fast wire paths (`_load_plain`, `_dump_plain`) against marshmallow's `TicketSchema`, which they
stand in for: on real-shaped tickets both give byte-equal JSON and equal tickets, and on every odd value tried the
fast path either gives the schema's own answer or steps aside (None) so the schema decides."""
from __future__ import annotations

import copy
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from marshmallow import ValidationError

from channels.hotline.call import parse_hotline_call
from channels.mobile_app.submission import parse_app_submission
from normalizer.ticket import (Attachment, Contact, Location, Ticket, _dump_plain, _load_plain, _ticket_schema,
                               ticket_from_dict)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 12, 7, 13, 5, 9, 123456, tzinfo=timezone(timedelta(hours=8)))


def _as_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=repr)   # odd values (bytes in `urgent`) too


def _slow_load(data):
    try:
        return _ticket_schema().load(copy.deepcopy(data))
    except ValidationError as error:
        return error


def _slow_dump(ticket):
    try:
        return _ticket_schema().dump(ticket)
    except Exception as error:  # noqa: BLE001 - the schema's own failure is what the fast path must not hide
        return error


def _check_load(data) -> bool:
    """The fast load equals the schema's (or steps aside); True when it answered itself."""
    fast, slow = _load_plain(copy.deepcopy(data)), _slow_load(data)
    if fast is None:
        return False
    assert not isinstance(slow, Exception), (data, slow)
    assert repr(fast) == repr(slow) and fast == slow
    assert _as_json(_ticket_schema().dump(fast)) == _as_json(_ticket_schema().dump(slow))
    return True


def _check_dump(ticket) -> bool:
    """The fast dump equals the schema's (or steps aside); True when it answered itself."""
    fast, slow = _dump_plain(ticket), _slow_dump(ticket)
    if fast is None:
        return False
    assert not isinstance(slow, Exception), (ticket, slow)
    assert list(fast) == list(slow) and _as_json(fast) == _as_json(slow) and repr(fast) == repr(slow)
    return True


def _real_tickets(normalizer) -> list[Ticket]:
    """Tickets as the pipeline holds them: from the channels' fixtures, normalized, linked, in a case."""
    made = []
    for path in sorted((FIXTURES / "app").glob("*.json")):
        try:
            made.append(parse_app_submission(path.read_bytes(), client="c", idempotency_key=path.stem, now=NOW,
                                             max_text_chars=5000))
        except Exception:  # noqa: BLE001 - the fixtures of refused reports make no ticket
            continue
    for path in sorted((FIXTURES / "hotline").glob("*.json")):
        try:
            made.append(parse_hotline_call(path.read_bytes(), now=NOW, zone="Asia/Shanghai", max_text_chars=5000,
                                           entered_by="op-1").ticket)
        except Exception:  # noqa: BLE001
            continue
    # The bench's usual mix (bench/open_loop.py): contact with name, phone and user id, no location.
    made.append(parse_app_submission(json.dumps({"text": "您好，洪山区珞喻路1034号附近路灯不亮，请尽快处理。", "contact": {
        "name": "市民", "phone": "13812345678", "user_id": "u7"}}, ensure_ascii=False).encode(), client="c",
        idempotency_key="mix", now=NOW.astimezone(timezone.utc), max_text_chars=5000))
    assert len(made) >= 6
    for i, ticket in enumerate(made):
        ticket.reference = f"R-{i}"
        ticket.normalized = normalizer.normalize(ticket)
        ticket.status = "normalized"
        ticket.extra["citizen_id"] = i + 1
    return made


def test_real_tickets_round_trip_byte_equal_through_both_paths(normalizer):
    for ticket in _real_tickets(normalizer):
        assert _check_dump(ticket), ticket
        wire = json.loads(_as_json(ticket.to_dict()))    # as the store gives it back
        assert _check_load(wire), wire
        again = ticket_from_dict(wire)
        assert again == ticket and _as_json(again.to_dict()) == _as_json(_ticket_schema().dump(ticket))
        again.status = "in_case"
        assert _check_dump(again)


# Values tried in every field, in and around what each field takes.
ODD = [None, "", "x", "WGS-84", "GCJ-02", "in_case", "2026-12-07T10:00:00", "2026-12-07T10:00:00+08:00",
       "2026-12-07 10:00:00Z", "not a time", b"bytes", 0, 1, 2, -1, 10 ** 400, 1.5, 30.5, 91, -180.0, 180.5,
       math.nan, math.inf, True, False, [], [{}], [None], [{"url": "u"}], [{"url": 1}], {}, {"a": 1},
       {"lat": 1, "lng": 2}, {"lat": 100}, {"crs": "bad"}, {"name": 1}, {"unknown": 1}, ("t",)]
MISSING = object()


def _base_wire(normalizer) -> dict:
    ticket = _real_tickets(normalizer)[0]
    ticket.location = Location(lat=30.5, lng=114.4, crs="GCJ-02", address="洪山区")
    ticket.contact = Contact(name="李", phone="13900139000", user_id="u-1")
    ticket.attachments = [Attachment(id="a", url="https://x/y.jpg", content_type="image/jpeg")]
    return json.loads(_as_json(ticket.to_dict()))


def test_every_odd_value_is_loaded_as_the_schema_loads_it_or_left_to_it(normalizer):
    base = _base_wire(normalizer)
    answered = 0
    places = [((), key) for key in list(base) + ["unknown"]] + \
        [((part,), key) for part in ("location", "contact") for key in list(base[part]) + ["unknown"]] + \
        [(("attachments", 0), key) for key in list(base["attachments"][0]) + ["unknown"]]
    for path, key in places:
        for value in ODD + [MISSING]:
            data = copy.deepcopy(base)
            target = data
            for step in path:
                target = target[step]
            if value is MISSING:
                target.pop(key, None)
            else:
                target[key] = value
            answered += _check_load(data)
    for data in ([], "x", None, {"text": "only"}):
        assert _load_plain(data) is None
    assert answered > 100   # the fast path does answer for most plain values


def test_every_odd_value_is_dumped_as_the_schema_dumps_it_or_left_to_it(normalizer):
    answered = 0
    for name in Ticket.__dataclass_fields__:
        for value in ODD + [NOW, datetime(2026, 1, 1), Location(lat=1.0), Location(lat=1), Contact(phone=5),
                            [Attachment(url="u")], [Attachment(url=b"u")], {"lat": 1.0}]:
            ticket = copy.deepcopy(_real_tickets(normalizer)[0]) if name == "text" and not answered else \
                Ticket(channel="app", external_id="e", text="t", received_at=NOW, location=Location(lat=1.0),
                       contact=Contact(name="n"), attachments=[Attachment(id="a")], normalized={"k": [1]})
            setattr(ticket, name, value)
            answered += _check_dump(ticket)
    assert answered > 50


def test_dump_and_load_copy_the_dicts_as_the_schema_does():
    ticket = Ticket(channel="app", external_id="e", text="t", received_at=NOW, extra={"k": [1]},
                    normalized={"n": {"m": 1}})
    data = ticket.to_dict()
    assert data["extra"] is not ticket.extra and data["extra"]["k"] is ticket.extra["k"]
    assert data["normalized"] is not ticket.normalized and data["normalized"]["n"] is ticket.normalized["n"]
    loaded = ticket_from_dict(data)
    assert loaded.extra is not data["extra"] and loaded.normalized is not data["normalized"]


@pytest.mark.parametrize("data", [
    {"channel": "app", "external_id": "e", "text": "t", "received_at": "2026-12-07T10:00:00"},
    {"channel": "app", "external_id": "e", "text": "t", "received_at": "2026-12-07T10:00:00+08:00", "status": "x"},
    {"channel": "app", "external_id": "e", "text": "t", "received_at": "2026-12-07T10:00:00+08:00",
     "location": {"lat": 95}},
])
def test_what_the_schema_refuses_is_still_refused(data):
    with pytest.raises(ValidationError):
        ticket_from_dict(data)
