"""POST /channels/hotline: real call payloads to the stored ticket, repeats, and every bad input as a JSON 4xx."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from gateway.tables import submissions
from tests.harness.gateway import OPERATOR_KEY
from tests.hotline.support import call, count, fixture, post_hotline, stored

CST = timezone(timedelta(hours=8))
# The stored ticket of every call fixture is checked by the shared fixture table (tests/harness/tables/hotline.py).


def test_the_answer_names_the_call_and_says_the_emergency_advice_first(sqlite_gateway):
    response = post_hotline(sqlite_gateway, raw=fixture("call__emergency_words.json"))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.json
    assert body["reference"] in body["message"] and body["status"] == "received" and body["channel"] == "hotline"
    assert body["call_id"] == json.loads(fixture("call__emergency_words.json"))["call_id"] and "case_id" not in body
    assert body["emergency"] is True and "119" in body["advice"] and body["message"].startswith(body["advice"])


def test_started_at_becomes_received_at_in_the_city_zone(sqlite_gateway):
    gw = sqlite_gateway
    with_offset = post_hotline(gw, raw=fixture("call__transcript_turns.json")).json
    without = post_hotline(gw, raw=fixture("call__summary_and_text.json")).json
    assert datetime.fromisoformat(with_offset["received_at"]) == datetime(2024, 5, 3, 9, 15, tzinfo=CST)
    assert datetime.fromisoformat(without["received_at"]) == datetime(2024, 5, 3, 10, 12, tzinfo=CST)
    shown = gw.get(f"/api/v1/tickets/{without['reference']}").json
    assert datetime.fromisoformat(shown["received_at"]) == datetime(2024, 5, 3, 10, 12, tzinfo=CST)
    # No started_at: the call is received now; a clock a minute ahead is forgiven, not stored in the future.
    now = datetime.now(timezone.utc)
    plain = post_hotline(gw, call("call__summary_only.json")).json
    assert abs(datetime.fromisoformat(plain["received_at"]) - now) < timedelta(minutes=1)
    ahead = post_hotline(gw, call("call__urgent_flag.json", started_at=(now + timedelta(minutes=1)).isoformat())).json
    assert datetime.fromisoformat(ahead["received_at"]) <= datetime.now(timezone.utc)


def test_turns_are_kept_as_recognised(sqlite_gateway):
    gw = sqlite_gateway
    reference = post_hotline(gw, raw=fixture("call__transcript_turns.json")).json["reference"]
    turns = stored(gw, reference)["extra"]["turns"]
    assert turns == json.loads(fixture("call__transcript_turns.json"))["transcript"]


def test_repeat_of_a_call_id_gives_the_first_answer_and_no_second_ticket(gateway):
    first = post_hotline(gateway, raw=fixture("call__transcript_turns.json"))
    body = json.loads(fixture("call__transcript_turns.json"))
    # The same call re-serialized (other key order and spacing) by the same call-center key.
    again = post_hotline(gateway, raw=json.dumps(dict(reversed(list(body.items()))), indent=2).encode())
    assert first.status_code == 201 and again.status_code == 200
    assert again.json == first.json
    assert count(gateway) == 1 and count(gateway, submissions) == 1


def test_same_call_id_with_another_body_is_409_and_harms_nothing(gateway):
    first = post_hotline(gateway, raw=fixture("call__summary_only.json")).json
    conflict = post_hotline(gateway, call("call__summary_only.json", summary="别的内容"))
    assert conflict.status_code == 409 and conflict.json["error"] == "idempotency_conflict"
    assert "call_id" in conflict.json["message"]
    assert count(gateway) == 1
    assert gateway.get(f"/api/v1/tickets/{first['reference']}").json["text"] == call("call__summary_only.json")[
        "summary"]


def test_the_pipeline_takes_a_call_to_the_case_system(gateway, case_system):
    reference = post_hotline(gateway, raw=fixture("call__summary_and_text.json")).json["reference"]
    gateway.drain()
    [event] = case_system.accepted()
    assert event["type"] == "case.opened" and event["report"]["reference"] == reference
    assert event["report"]["channel"] == "hotline"
    assert event["report"]["extra"]["transcript"].startswith("市民反映")
    # The caller's number is kept as the call-center sent it; the normalizer adds its E.164 form.
    assert event["report"]["contact"]["phone"] == "+86 139 0000 1111"
    assert event["report"]["normalized"]["phones"][0] == {"raw": "+86 139 0000 1111", "e164": "+8613900001111",
                                                           "source": "contact"}


BAD = [
    # (name, body bytes, headers override, status, error code, field named in the error)
    ("malformed json", b'{"call_id": "x"', {}, 400, "invalid_json", None),
    ("not an object", b'["call_id"]', {}, 400, "invalid_json", None),
    ("invalid utf-8", b'{"call_id": "x", "summary": "\xff\xfe"}', {}, 400, "invalid_utf8", None),
    ("empty body", b"", {}, 400, "empty_body", None),
    ("nul byte in summary", b'{"call_id": "x", "summary": "a\\u0000b"}', {}, 400, "nul_byte", None),
    ("nul byte in a turn", b'{"call_id": "x", "transcript": [{"speaker": "caller", "text": "a\\u0000"}]}', {}, 400,
     "nul_byte", None),
    ("lone surrogate", b'{"call_id": "x", "summary": "a\\ud800b"}', {}, 400, "invalid_text", None),
    ("missing call_id", b'{"summary": "x"}', {}, 422, "invalid_fields", "call_id"),
    ("empty call_id", b'{"call_id": "", "summary": "x"}', {}, 422, "invalid_fields", "call_id"),
    ("call_id with blanks", b'{"call_id": " c-1 ", "summary": "x"}', {}, 422, "invalid_fields", "call_id"),
    ("call_id a number", b'{"call_id": 12345, "summary": "x"}', {}, 422, "invalid_fields", "call_id"),
    ("call_id too long", b'{"call_id": "' + b"c" * 129 + b'", "summary": "x"}', {}, 422, "invalid_fields", "call_id"),
    ("no transcript nor summary", b'{"call_id": "x", "agent_id": "A1"}', {}, 422, "invalid_fields", "transcript"),
    ("null transcript and summary", b'{"call_id": "x", "transcript": null, "summary": null}', {}, 422,
     "invalid_fields", "transcript"),
    ("blank summary", b'{"call_id": "x", "summary": "  "}', {}, 422, "invalid_fields", "summary"),
    ("blank transcript", b'{"call_id": "x", "transcript": "\\n "}', {}, 422, "invalid_fields", "transcript"),
    ("empty turns", b'{"call_id": "x", "transcript": []}', {}, 422, "invalid_fields", "transcript"),
    ("blank turn", b'{"call_id": "x", "transcript": [{"speaker": "caller", "text": " "}]}', {}, 422,
     "invalid_fields", "transcript"),
    ("turn without speaker", b'{"call_id": "x", "transcript": [{"text": "a"}]}', {}, 422, "invalid_fields",
     "transcript"),
    ("turn not an object", b'{"call_id": "x", "transcript": ["a"]}', {}, 422, "invalid_fields", "transcript"),
    ("turn unknown field", b'{"call_id": "x", "transcript": [{"speaker": "caller", "text": "a", "mood": 1}]}', {},
     422, "invalid_fields", "transcript"),
    ("transcript an object", b'{"call_id": "x", "transcript": {"text": "a"}}', {}, 422, "invalid_fields",
     "transcript"),
    ("bad started_at", b'{"call_id": "x", "summary": "a", "started_at": "yesterday 9am"}', {}, 422,
     "invalid_fields", "started_at"),
    ("started_at a number", b'{"call_id": "x", "summary": "a", "started_at": 1714700000}', {}, 422,
     "invalid_fields", "started_at"),
    ("future started_at", b'{"call_id": "x", "summary": "a", "started_at": "2099-01-01T00:00:00+08:00"}', {}, 422,
     "invalid_fields", "started_at"),
    ("urgent a string", b'{"call_id": "x", "summary": "a", "urgent": "yes"}', {}, 422, "invalid_fields", "urgent"),
    ("urgent a number", b'{"call_id": "x", "summary": "a", "urgent": 1}', {}, 422, "invalid_fields", "urgent"),
    ("attach_to_case a string", b'{"call_id": "x", "summary": "a", "attach_to_case": "5"}', {}, 422,
     "invalid_fields", "attach_to_case"),
    ("attach_to_case a bool", b'{"call_id": "x", "summary": "a", "attach_to_case": true}', {}, 422,
     "invalid_fields", "attach_to_case"),
    ("attach_to_case zero", b'{"call_id": "x", "summary": "a", "attach_to_case": 0}', {}, 422, "invalid_fields",
     "attach_to_case"),
    ("attach_to_case unknown", b'{"call_id": "x", "summary": "a", "attach_to_case": 999}',
     {"Authorization": f"Bearer {OPERATOR_KEY}"}, 422,
     "unknown_case", "attach_to_case"),
    ("caller_number a number", b'{"call_id": "x", "summary": "a", "caller_number": 13800138000}', {}, 422,
     "invalid_fields", "caller_number"),
    ("unknown field", b'{"call_id": "x", "summary": "a", "duration": 61}', {}, 422, "invalid_fields", "duration"),
    ("summary too long", b'{"call_id": "x", "summary": "' + "长".encode() * 20001 + b'"}', {}, 422,
     "invalid_fields", "summary"),
    ("transcript too long without summary",
     b'{"call_id": "x", "transcript": "' + "长".encode() * 20001 + b'"}', {}, 422, "invalid_fields", "transcript"),
    ("oversized", b'{"call_id": "x", "summary": "' + "长".encode() * 200000 + b'"}', {}, 413, "body_too_large",
     None),
    ("form body", b"call_id=x&summary=a", {"Content-Type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type", None),
    ("no key", b'{"call_id": "x", "summary": "a"}', {"Authorization": None}, 401, "unauthorized", None),
    ("wrong key", b'{"call_id": "x", "summary": "a"}', {"Authorization": "Bearer nope"}, 401, "unauthorized", None),
]


@pytest.mark.parametrize("name,raw,headers,status,code,field", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_clear_4xx_and_stores_nothing(sqlite_gateway, name, raw, headers, status, code, field):
    gw = sqlite_gateway
    kept = post_hotline(gw, raw=fixture("call__summary_only.json")).json["reference"]
    response = post_hotline(gw, raw=raw, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json and response.json["error"] == code
    assert response.json["message"]  # a sentence for the person reading it
    if field:
        assert field in response.json["fields"], response.json
    assert count(gw) == 1 and count(gw, submissions) == 1
    assert gw.get(f"/api/v1/tickets/{kept}").json["text"] == call("call__summary_only.json")["summary"]


def test_a_long_transcript_is_kept_beside_a_summary(sqlite_gateway):
    transcript = "市民：" + "长" * 20000
    response = post_hotline(sqlite_gateway, call("call__summary_only.json", transcript=transcript))
    assert response.status_code == 201
    data = stored(sqlite_gateway, response.json["reference"])
    assert data["extra"]["transcript"] == transcript and data["text"] == data["extra"]["summary"]


def test_the_channel_is_listed_and_documented(sqlite_gateway):
    from gateway.app import channel_states
    assert channel_states(sqlite_gateway.runtime)["hotline"] is True
    spec = sqlite_gateway.client.get("/openapi.json").json
    operation = spec["paths"]["/channels/hotline"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/HotlineCall")
    assert {"call_id", "transcript", "attach_to_case"} <= set(spec["components"]["schemas"]["HotlineCall"]
                                                              ["properties"])
