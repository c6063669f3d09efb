"""The whole `normalized` dict: its keys, JSON safety, and that normalize never raises."""
from __future__ import annotations

import ast
import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from normalizer.normalize import Normalizer
from normalizer.ticket import Contact, Location, ticket_from_dict

KEYS = {"title", "text", "compare_text", "district", "street", "entities", "location", "category", "topic_words",
        "priority", "emergency", "due_at", "phones", "pii", "length"}
ENTITY_KINDS = {"community", "road", "village", "town", "school", "hospital", "company", "shop", "building",
                "project", "bus_line", "other"}


def test_full_ticket(normalizer, make_ticket):
    ticket = make_ticket(
        "市长您好!武汉市江汉区民族街道景蓉华苑门口路灯坏了,联系电话13800138000,请相关部门尽快处理。",
        title="<b>景蓉华苑</b>路灯不亮", contact=Contact(phone="13900139000"),
        location=Location(lat=30.58, lng=114.27, crs="GCJ-02", address="江汉区民族街道景蓉华苑3栋"))
    out = normalizer.normalize(ticket)
    assert set(out) == KEYS
    assert out["title"] == "景蓉华苑路灯不亮"
    assert out["compare_text"].startswith("武汉市江汉区") and "尽快处理" not in out["compare_text"]
    assert (out["district"], out["street"]) == ("江汉区", "民族街道")
    assert {"name": "景蓉华苑", "kind": "community"} in out["entities"]
    assert out["location"]["crs"] == "WGS-84" and out["location"]["source_crs"] == "GCJ-02"
    assert out["location"]["original"] == {"lat": 30.58, "lng": 114.27, "crs": "GCJ-02"}
    assert out["location"]["lat"] != 30.58 and abs(out["location"]["lat"] - 30.58) < 0.01
    assert out["location"]["address"] == "江汉区民族街道景蓉华苑3栋"
    assert out["priority"] == "normal" and out["emergency"] == {"emergency": False, "matched": []}
    assert out["due_at"] == "2024-03-13T10:30:00+08:00"
    assert [p["e164"] for p in out["phones"]] == ["+8613900139000", "+8613800138000"]
    assert "138****8000" in out["pii"]["masked_text"] and "13800138000" not in out["pii"]["masked_text"]
    assert out["length"] == {"text_chars": len(out["text"]), "truncated": False}
    json.dumps(out)


def test_address_from_extra_and_no_coordinates(normalizer, make_ticket):
    out = normalizer.normalize(make_ticket("井盖丢了", extra={"address": "硚口区汉正街道"}))
    assert out["location"] == {"lat": None, "lng": None, "crs": "WGS-84", "source_crs": "WGS-84",
                               "address": "硚口区汉正街道"}
    assert out["district"] == "硚口区"


def test_no_location(normalizer, make_ticket):
    assert normalizer.normalize(make_ticket("井盖丢了"))["location"] is None


def test_emergency_makes_it_urgent(normalizer, make_ticket):
    out = normalizer.normalize(make_ticket("楼道里着火了"))
    assert out["priority"] == "urgent" and out["emergency"] == {"emergency": True, "matched": ["着火"]}
    assert normalizer.normalize(make_ticket("楼道里没有着火"))["priority"] == "normal"
    assert normalizer.normalize(make_ticket("路灯坏了", urgent=True))["priority"] == "urgent"


def test_long_text_is_truncated(profile, make_ticket):
    small = Normalizer({**profile, "normalizer": {**profile["normalizer"], "max_text_chars": 10}})
    out = small.normalize(make_ticket("一二三四五六七八九十十一十二"))
    assert out["text"] == "一二三四五六七八九十" and out["length"] == {"text_chars": 10, "truncated": True}


def test_city_without_configuration_still_works(make_ticket):
    out = Normalizer({}).normalize(make_ticket("武汉市江汉区着火了,电话13800138000"))
    assert out["district"] is None and out["category"]["level1"] is None
    assert out["priority"] == "urgent"                     # built-in emergency keywords
    assert out["phones"][0]["e164"] == "+8613800138000"
    assert out["due_at"] == "2024-03-13T10:30:00+08:00"


def test_normalized_ticket_round_trips_through_the_schema(normalizer, make_ticket):
    ticket = make_ticket("景蓉华苑路灯坏了", location=Location(lat=30.5, lng=114.3, crs="BD-09"))
    ticket.normalized = normalizer.normalize(ticket)
    assert ticket_from_dict(json.loads(json.dumps(ticket.to_dict()))).normalized == ticket.normalized


def _json_safe(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_safe(v) for v in value)
    return value is None or isinstance(value, (str, int, bool))


_coordinate = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-1000, 1000))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(), title=st.one_of(st.none(), st.text()), category=st.one_of(st.none(), st.text()),
       lat=_coordinate, lng=_coordinate, crs=st.sampled_from(["WGS-84", "GCJ-02", "BD-09", "bogus"]),
       phone=st.one_of(st.none(), st.text(max_size=30)), urgent=st.booleans(),
       received=st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2200, 1, 1),
                             timezones=st.just(timezone(timedelta(hours=-5)))))
def test_normalize_never_raises(normalizer, make_ticket, text, title, category, lat, lng, crs, phone, urgent,
                                received):
    ticket = make_ticket(text, title=title, category=category, urgent=urgent, received_at=received,
                         location=Location(lat=lat, lng=lng, crs=crs), contact=Contact(phone=phone),
                         extra={"address": text[:20]})
    out = normalizer.normalize(ticket)
    assert set(out) == KEYS and _json_safe(out)
    assert all(e["kind"] in ENTITY_KINDS and e["name"] for e in out["entities"])
    assert out["priority"] in ("urgent", "normal")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list("路街村小区公司店市区着火没有被困1386０〇<>&江漢区民族街道 ,。")),
               max_size=80))
def test_normalize_never_raises_on_dense_text(normalizer, make_ticket, text):
    out = normalizer.normalize(make_ticket(text))
    assert _json_safe(out)
    names = [e["name"] for e in out["entities"]]
    assert len(names) == len(set(names))


def test_normalizer_package_imports_no_web_or_database_code():
    forbidden = {"flask", "sqlalchemy", "rq", "redis", "gateway"}
    for path in Path(__file__).resolve().parents[2].joinpath("normalizer").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"
