"""Hostile requests found by fuzzing the HTTP surface: each is a 4xx (never a 500) and stores nothing.

Numbers beyond the store's 64-bit ids, times with no instant in UTC, timestamps beyond any float, non-ASCII
signatures, NUL characters (which PostgreSQL text cannot hold), non-ASCII digits such as "²" (`str.isdigit` says
yes, `int` says no), and a WeChat MediaId repeated within one report. Every row runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import io
import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from channels.signing import signed_headers
from gateway.operators import add_operator
from gateway.tables import attachments, submissions, tickets, wechat_media
from tests.console.conftest import PASSWORD, Console
from tests.harness.gateway import (CLIENT_KEY, DOWNSTREAM_SECRET, OPERATOR_KEY, PARTNER_SECRET, SUPERVISOR_KEY,
                                   make_gateway)
from tests.wechat.simulator import TOKEN, message, sign

BEYOND_IDS = "99999999999999999999999"        # more than 64 bits
BEYOND_FLOATS = "1" + "0" * 400               # an int that no float can hold: now - int(...) overflows
REPORT = {"text": "洪山区珞喻路路灯坏了三天"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _bearer(key: str = CLIENT_KEY) -> dict:
    return {"Authorization": f"Bearer {key}"}


def _signed(gw, path: str, body: dict, *, secret: str = PARTNER_SECRET, **override):
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {**signed_headers(secret, uuid.uuid4().hex, raw, time.time()), "Content-Type": "application/json"}
    headers.update(override)
    return gw.client.post(path, data=raw, headers=headers)


def _hotline(gw, **fields):
    body = {"call_id": uuid.uuid4().hex, "summary": "洪山区珞喻路路灯坏了", **fields}
    return gw.client.post("/channels/hotline", json=body, headers=_bearer())


def _wechat_get(gw, **params):
    ts = str(int(time.time()))
    query = {"timestamp": ts, "nonce": "n1", "signature": sign(TOKEN, ts, "n1"), "echostr": "e", **params}
    return gw.client.get("/channels/wechat", query_string=query)


HOSTILE = [
    # (name, request, status, error code)
    ("case id beyond 64 bits", lambda gw: gw.get(f"/api/v1/cases/{BEYOND_IDS}", key=OPERATOR_KEY), 404, "not_found"),
    ("case id 2**63", lambda gw: gw.get(f"/api/v1/cases/{2**63}", key=OPERATOR_KEY), 404, "not_found"),
    ("unmerge from a case id beyond 64 bits", lambda gw: gw.client.post(
        f"/api/v1/cases/{BEYOND_IDS}/unmerge", json={"reference": "AAAAA-BBBBB"}, headers=_bearer(SUPERVISOR_KEY)),
     404, "not_found"),
    ("merge a case id beyond 64 bits", lambda gw: gw.client.post(
        "/api/v1/cases/1/merge", json={"case_id": 10**30}, headers=_bearer(SUPERVISOR_KEY)), 422, "invalid_fields"),
    ("hotline attach_to_case beyond 64 bits", lambda gw: _hotline(gw, attach_to_case=2**63), 422, "invalid_fields"),
    ("case update for a case id beyond 64 bits", lambda gw: _signed(
        gw, "/api/v1/case-updates", {"case_id": 10**30, "status": "accepted", "updated_at": "2026-11-27T10:00:00"},
        secret=DOWNSTREAM_SECRET), 422, "invalid_fields"),
    ("hotline started_at in year 1, east of UTC", lambda gw: _hotline(gw, started_at="0001-01-01T00:00:00+01:00"),
     422, "invalid_fields"),
    ("webhook received_at in year 1, city time", lambda gw: _signed(
        gw, "/channels/webhook/110", {**REPORT, "received_at": "0001-01-01T00:00:00"}), 422, "invalid_fields"),
    ("case update updated_at in year 1", lambda gw: _signed(
        gw, "/api/v1/case-updates", {"case_id": 1, "status": "accepted", "updated_at": "0001-01-01T00:00:00+08:00"},
        secret=DOWNSTREAM_SECRET), 422, "invalid_fields"),
    ("webhook timestamp beyond any float", lambda gw: _signed(
        gw, "/channels/webhook/110", REPORT, **{"X-Gateway-Timestamp": BEYOND_FLOATS}), 401, "timestamp_invalid"),
    ("case update timestamp beyond any float", lambda gw: _signed(
        gw, "/api/v1/case-updates", {}, secret=DOWNSTREAM_SECRET, **{"X-Gateway-Timestamp": BEYOND_FLOATS}),
     401, "timestamp_invalid"),
    ("webhook signature not ASCII", lambda gw: _signed(
        gw, "/channels/webhook/110", REPORT, **{"X-Gateway-Signature": "sha256=\xe9"}), 401, "signature_invalid"),
    ("webhook event id with NUL, validly signed", lambda gw: gw.client.post(
        "/channels/webhook/110", data=json.dumps(REPORT).encode(),
        headers={**signed_headers(PARTNER_SECRET, "ev\x00-1", json.dumps(REPORT).encode(), time.time()),
                 "Content-Type": "application/json"}), 401, "event_id_invalid"),
    ("wechat timestamp beyond any float", lambda gw: _wechat_get(gw, timestamp=BEYOND_FLOATS), 403,
     "timestamp_invalid"),
    ("wechat signature not ASCII", lambda gw: _wechat_get(gw, signature="签名"), 403, "signature_invalid"),
    ("wechat push signature not ASCII", lambda gw: gw.client.post(
        "/channels/wechat", query_string={"timestamp": str(int(time.time())), "nonce": "n", "signature": "签名"},
        data=message("text", msg_id=1, Content="路灯坏了").encode()), 403, "signature_invalid"),
    ("ticket reference with NUL", lambda gw: gw.get("/api/v1/tickets/AB%00CD"), 400, "nul_in_url"),
    ("attachment token with NUL", lambda gw: gw.client.get("/attachments/AB%00CD"), 400, "nul_in_url"),
]


def _counts(gw) -> tuple[int, int]:
    with gw.runtime.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar() for t in (tickets, submissions))


@pytest.fixture
def hostile_gateway(database_url, tmp_path, case_system):
    """A gateway with the WeChat channel on (no AES key: plain mode), on SQLite and on PostgreSQL."""
    gw = make_gateway(database_url, tmp_path, DOWNSTREAM_URL=case_system.url, WECHAT_TOKEN=TOKEN)
    yield gw
    gw.runtime.engine.dispose()


@pytest.mark.parametrize("send,status,code", [row[1:] for row in HOSTILE], ids=[row[0] for row in HOSTILE])
def test_hostile_requests_are_refused_and_store_nothing(hostile_gateway, send, status, code):
    gw = hostile_gateway
    _plant = gw.post_app(REPORT)
    assert _plant.status_code == 201
    before = _counts(gw)
    response = send(gw)
    assert (response.status_code, response.json["error"]) == (status, code), response.get_data(as_text=True)
    assert _counts(gw) == before


def test_a_405_names_the_allowed_methods(sqlite_gateway):
    response = sqlite_gateway.client.open("/channels/app", method="TRACE", headers=_bearer())
    assert response.status_code == 405 and response.json["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"POST", "OPTIONS"}


def test_an_upload_named_with_nul_is_stored_without_it(hostile_gateway):
    gw = hostile_gateway
    response = gw.client.post("/api/v1/attachments", headers=_bearer(),
                              data={"file": (io.BytesIO(PNG), "photo\x00.png", "image/png")})
    assert response.status_code == 201
    with gw.runtime.engine.connect() as conn:
        assert conn.execute(select(attachments.c.filename)).scalar_one() == "photo.png"


def test_a_wechat_media_id_repeated_in_one_report_is_queued_once(hostile_gateway):
    gw = hostile_gateway

    def push(msg_id: int):
        ts = str(int(time.time()))
        query = {"timestamp": ts, "nonce": f"n{msg_id}", "signature": sign(TOKEN, ts, f"n{msg_id}")}
        body = message("image", msg_id=msg_id, MediaId="media-1", PicUrl="http://mmbiz.qpic.cn/x")
        return gw.client.post("/channels/wechat", query_string=query, data=body.encode())

    assert push(1).status_code == 200
    assert push(2).status_code == 200   # the second message joins the open report, with the same medium
    with gw.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(wechat_media)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(tickets)).scalar() == 1


# The console: a signed-in operator (or supervisor) sending what the forms never would.
CONSOLE = [
    # (name, role, method, path, form, status)
    ("case page for a case id beyond 64 bits", "wang", "GET", f"/console/cases/{BEYOND_IDS}", None, 404),
    ("jump to a case id beyond 64 bits", "wang", "GET", f"/console/cases?id={BEYOND_IDS}", None, 302),
    ("jump to case ²", "wang", "GET", "/console/cases?id=²", None, 302),
    ("intake list page ²", "wang", "GET", "/console/intake?page=²", None, 200),
    ("caller history with NUL", "wang", "GET", "/console/caller?number=13800138000%00", None, 400),
    ("call attached to case ²", "wang", "POST", "/console/calls", {"attach_to_case": "²"}, 422),
    ("call text with NUL", "wang", "POST", "/console/calls", {"content": "路灯\x00坏了"}, 400),
    ("merge case ²", "li", "POST", "/console/cases/1/merge", {"case_id": "²"}, 302),
    ("unmerge from a case id beyond 64 bits", "li", "POST", f"/console/cases/{BEYOND_IDS}/unmerge",
     {"reference": "AAAAA-BBBBB"}, 404),
    ("unmerge a reference with NUL", "li", "POST", "/console/cases/1/unmerge", {"reference": "AAAAA\x00"}, 400),
    ("replay an event id with NUL", "li", "POST", "/console/dead-letters/replay", {"event_id": "\x00"}, 400),
]


@pytest.mark.parametrize("name,method,path,form,status", [row[1:] for row in CONSOLE],
                         ids=[row[0] for row in CONSOLE])
def test_hostile_console_requests_are_refused(operators_gateway, name, method, path, form, status):
    console = Console(operators_gateway)
    assert console.sign_in(name).status_code == 302
    console.get("/console/calls/new")
    if method == "GET":
        response = console.client.get(path)
    else:
        data = {"form_id": str(uuid.uuid4()), "content": "洪山区路灯坏了", **form} if path == "/console/calls" else form
        response = console.post(path, data)
    assert response.status_code == status, response.get_data(as_text=True)[:500]


def test_sign_in_with_nul_is_refused(operators_gateway):
    console = Console(operators_gateway)
    console.get("/console/sign-in")
    assert console.post("/console/sign-in", {"name": "wang\x00", "password": PASSWORD}).status_code == 400


@pytest.fixture
def operators_gateway(gateway):
    for name, role in (("wang", "operator"), ("li", "supervisor")):
        add_operator(gateway.runtime.engine, name, role, PASSWORD)
    return gateway
