"""The app channel: what the app relies on, and every bad input answered with a clear JSON 4xx."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from gateway.tables import submissions, tickets
from tests.harness.gateway import CLIENT_KEY, OPERATOR_KEY

REPORT = {"text": "汉阳区钟家村小区门口路灯坏了三天，晚上很黑 <script>alert(1)</script> & \"引号\"",
          "title": "路灯不亮", "location": {"lat": 30.55, "lng": 114.27, "crs": "GCJ-02", "address": "钟家村"},
          "contact": {"name": "张先生", "phone": "13800138000", "user_id": "u-42"}}


def count(gw, table=tickets) -> int:
    with gw.runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_report_is_stored_and_shown_exactly_as_sent(gateway):
    response = gateway.post_app(REPORT)
    assert response.status_code == 201
    reference = response.json["reference"]
    assert reference in response.json["message"]
    shown = gateway.get(f"/api/v1/tickets/{reference}").json
    assert shown["text"] == REPORT["text"]          # not HTML-escaped, not trimmed
    assert shown["status"] == "received" and shown["case"] is None
    assert "contact" not in shown                   # personal data is for operators
    assert gateway.get(f"/api/v1/tickets/{reference}", OPERATOR_KEY).json["contact"]["phone"] == "13800138000"


def test_reference_is_readable_and_lookup_forgives_case(gateway):
    reference = gateway.post_app(REPORT).json["reference"]
    assert 8 <= len(reference) <= 16 and reference[0].isalnum()
    assert set(reference) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-")
    assert gateway.get(f"/api/v1/tickets/{reference.lower()}").status_code == 200


def test_repeat_of_a_key_gives_the_first_answer_and_no_second_ticket(gateway):
    first = gateway.post_app(REPORT, idem="k-1")
    # The same JSON, re-serialized with other spacing and key order, is the same submission.
    again = gateway.post_app(None, idem="k-1", raw=json.dumps(dict(reversed(list(REPORT.items()))),
                                                              indent=2).encode())
    assert first.status_code == 201 and again.status_code == 200
    assert again.json == first.json
    assert count(gateway) == 1


def test_same_key_with_another_body_is_409_and_harms_nothing(gateway):
    first = gateway.post_app(REPORT, idem="k-2")
    conflict = gateway.post_app({"text": "别的内容"}, idem="k-2")
    assert conflict.status_code == 409 and conflict.json["error"] == "idempotency_conflict"
    assert count(gateway) == 1
    assert gateway.get(f"/api/v1/tickets/{first.json['reference']}").json["text"] == REPORT["text"]


def test_keys_of_two_apps_do_not_collide(sqlite_gateway):
    gw = sqlite_gateway
    a = gw.post_app(REPORT, idem="same")
    b = gw.post_app(REPORT, idem="same", key=OPERATOR_KEY)
    assert a.status_code == b.status_code == 201 and a.json["reference"] != b.json["reference"]


BAD = [
    # (name, body bytes, headers override, status, error code)
    ("malformed json", b'{"text": "x"', {}, 400, "invalid_json"),
    ("not an object", b'["text"]', {}, 400, "invalid_json"),
    ("invalid utf-8", b'{"text": "\xff\xfe"}', {}, 400, "invalid_utf8"),
    ("empty body", b"", {}, 400, "empty_body"),
    ("NaN", b'{"text": "x", "location": {"lat": NaN, "lng": 1}}', {}, 400, "invalid_json"),
    ("nul byte", b'{"text": "a\\u0000b"}', {}, 400, "nul_byte"),
    ("lone surrogate", b'{"text": "a\\ud800b"}', {}, 400, "invalid_text"),
    ("missing text", b'{"title": "x"}', {}, 422, "invalid_fields"),
    ("blank text", b'{"text": "   "}', {}, 422, "invalid_fields"),
    ("wrong type", b'{"text": 12}', {}, 422, "invalid_fields"),
    ("unknown field", b'{"text": "x", "colour": "red"}', {}, 422, "invalid_fields"),
    ("bad crs", b'{"text": "x", "location": {"lat": 1, "lng": 1, "crs": "XYZ"}}', {}, 422, "invalid_fields"),
    ("lat out of range", b'{"text": "x", "location": {"lat": 91, "lng": 1}}', {}, 422, "invalid_fields"),
    ("lat without lng", b'{"text": "x", "location": {"lat": 30}}', {}, 422, "invalid_fields"),
    ("attachment url scheme", b'{"text": "x", "attachments": [{"url": "javascript:alert(1)"}]}', {}, 422,
     "invalid_fields"),
    ("unknown attachment id", b'{"text": "x", "attachments": [{"id": "nope"}]}', {}, 422, "unknown_attachment"),
    ("deep nesting", b'{"text": "x", "contact": ' + b'[' * 5000 + b']' * 5000 + b'}', {}, 400, "invalid_json"),
    ("no idempotency key", b'{"text": "x"}', {"Idempotency-Key": None}, 400, "idempotency_key_missing"),
    ("form body", b"text=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
    ("no key", b'{"text": "x"}', {"Authorization": None}, 401, "unauthorized"),
    ("wrong key", b'{"text": "x"}', {"Authorization": "Bearer nope"}, 401, "unauthorized"),
    ("basic auth", b'{"text": "x"}', {"Authorization": f"Basic {CLIENT_KEY}"}, 401, "unauthorized"),
    ("oversized", b'{"text": "' + "长".encode() * 200000 + b'"}', {}, 413, "body_too_large"),
]


@pytest.mark.parametrize("name,raw,headers,status,code", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_clear_4xx_and_stores_nothing(sqlite_gateway, name, raw, headers, status, code):
    gw = sqlite_gateway
    kept = gw.post_app(REPORT).json["reference"]
    response = gw.post_app(None, raw=raw, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json and response.json["error"] == code
    assert response.json["message"]  # a sentence for the person reading it
    assert count(gw) == 1 and count(gw, submissions) == 1
    assert gw.get(f"/api/v1/tickets/{kept}").json["text"] == REPORT["text"]


def test_too_long_text_is_refused_with_the_limit(sqlite_gateway):
    response = sqlite_gateway.post_app({"text": "长" * 20001})
    assert response.status_code == 422 and "text" in response.json["fields"]


def test_unknown_reference_is_404_json(sqlite_gateway):
    response = sqlite_gateway.get("/api/v1/tickets/ZZZZZ-ZZZZZ")
    assert response.status_code == 404 and response.json["error"] == "ticket_not_found"
