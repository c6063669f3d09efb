"""Partner webhooks in and case-system updates in: signed JSON per the contract."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from gateway.tables import tickets
from tests.harness.gateway import CLIENT_KEY, DOWNSTREAM_SECRET, PARTNER_SECRET

REPORT = {"text": "110转来：武昌区中北路某小区电梯困人", "received_at": "2026-11-27 21:15:00",
          "contact": {"user_id": "p-9"}}


def n_tickets(gw):
    with gw.runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tickets)).scalar()


def test_signed_partner_report_is_accepted_with_its_original_time(gateway):
    response = gateway.post_signed("/channels/webhook/110", REPORT, secret=PARTNER_SECRET, event_id="ev-1")
    assert response.status_code == 201
    ticket = gateway.get(f"/api/v1/tickets/{response.json['reference']}").json
    assert ticket["channel"] == "webhook" and ticket["source"] == "110"
    assert ticket["received_at"] == "2026-11-27T13:15:00+00:00"   # no offset: Asia/Shanghai
    again = gateway.post_signed("/channels/webhook/110", REPORT, secret=PARTNER_SECRET, event_id="ev-1")
    assert again.status_code == 200 and again.json == response.json and n_tickets(gateway) == 1
    other = gateway.post_signed("/channels/webhook/110", {"text": "别的"}, secret=PARTNER_SECRET, event_id="ev-1")
    assert other.status_code == 409


@pytest.mark.parametrize("case,status,code", [
    ("wrong secret", 401, "signature_invalid"),
    ("stale", 401, "timestamp_stale"),
    ("future", 401, "timestamp_stale"),
    ("missing headers", 401, "signature_missing"),
    ("unknown source", 404, "unknown_source"),
    ("tampered body", 401, "signature_invalid"),
    ("bad received_at", 422, "invalid_fields"),
])
def test_bad_partner_requests(sqlite_gateway, case, status, code):
    gw = sqlite_gateway
    path, secret, now, body = "/channels/webhook/110", PARTNER_SECRET, time.time(), dict(REPORT)
    if case == "wrong secret":
        secret = "nope"
    elif case == "stale":
        now -= 301
    elif case == "future":
        now += 301
    elif case == "unknown source":
        path = "/channels/webhook/12306"
    elif case == "bad received_at":
        body["received_at"] = "昨天晚上"
    if case == "missing headers":
        response = gw.client.post(path, json=body)
    elif case == "tampered body":
        from channels.signing import signed_headers
        import json
        signed = json.dumps(body).encode()
        response = gw.client.post(path, data=signed.replace(b"110", b"119"),
                                  headers={**signed_headers(secret, "e", signed, now), "Content-Type": "application/json"})
    else:
        response = gw.post_signed(path, body, secret=secret, now=now)
    assert response.status_code == status and response.json["error"] == code
    assert n_tickets(gw) == 0


def _case(gw):
    reference = gw.post_app({"text": "路面塌陷"}).json["reference"]
    gw.drain()
    return gw.get(f"/api/v1/tickets/{reference}").json["case"]["id"], reference


def update(gw, case_id, status, at, event_id=None, **extra):
    body = {"case_id": case_id, "status": status, "message": "已派单", "unit": "洪山区城管局", "updated_at": at, **extra}
    return gw.post_signed("/api/v1/case-updates", body, secret=DOWNSTREAM_SECRET, event_id=event_id)


def test_case_updates_apply_in_time_order_and_ignore_older(gateway):
    case_id, reference = _case(gateway)
    assert update(gateway, case_id, "assigned", "2026-11-28T10:00:00+08:00").json["applied"] is True
    late = update(gateway, case_id, "accepted", "2026-11-28T09:00:00+08:00")
    assert late.status_code == 200 and late.json["applied"] is False
    ticket = gateway.get(f"/api/v1/tickets/{reference}").json
    assert ticket["case"]["status"] == "assigned"
    assert update(gateway, case_id, "closed", "2026-11-28T11:00:00").json["applied"] is True
    assert gateway.get(f"/api/v1/tickets/{reference}").json["case"]["status"] == "closed"


def test_case_update_repeats_and_conflicts(gateway):
    case_id, _ = _case(gateway)
    first = update(gateway, case_id, "accepted", "2026-11-28T10:00:00+08:00", event_id="u-1")
    again = update(gateway, case_id, "accepted", "2026-11-28T10:00:00+08:00", event_id="u-1")
    assert first.status_code == again.status_code == 200 and again.json == first.json
    clash = update(gateway, case_id, "closed", "2026-11-28T10:00:00+08:00", event_id="u-1")
    assert clash.status_code == 409


@pytest.mark.parametrize("body,status", [
    ({"case_id": 999, "status": "closed", "updated_at": "2026-11-28T10:00:00Z"}, 404),
    ({"case_id": 1, "status": "done", "updated_at": "2026-11-28T10:00:00Z"}, 422),
    ({"case_id": "1", "status": "closed", "updated_at": "2026-11-28T10:00:00Z"}, 422),
    ({"case_id": 1, "status": "closed"}, 422),
    ({"case_id": 1, "status": "closed", "updated_at": "soon"}, 422),
])
def test_bad_case_updates(sqlite_gateway, body, status):
    _case(sqlite_gateway)
    response = sqlite_gateway.post_signed("/api/v1/case-updates", body, secret=DOWNSTREAM_SECRET)
    assert response.status_code == status and response.is_json


def test_case_updates_need_the_case_system_signature(sqlite_gateway):
    case_id, _ = _case(sqlite_gateway)
    body = {"case_id": case_id, "status": "closed", "updated_at": "2026-11-28T10:00:00Z"}
    assert sqlite_gateway.post_signed("/api/v1/case-updates", body, secret=PARTNER_SECRET).status_code == 401
    bearer = sqlite_gateway.client.post("/api/v1/case-updates", json=body,
                                        headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    assert bearer.status_code == 401
