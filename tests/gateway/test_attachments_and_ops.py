"""Attachments, health, readiness, metrics and the OpenAPI document."""
from __future__ import annotations

import io
import json
from datetime import timedelta

from tests.harness.gateway import CLIENT_KEY

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(gw, data: bytes, content_type: str, name: str = "photo.png"):
    return gw.client.post("/api/v1/attachments", headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                          data={"file": (io.BytesIO(data), name, content_type)}, content_type="multipart/form-data")


def test_upload_then_attach_then_fetch(gateway, case_system):
    stored = upload(gateway, PNG, "image/png")
    assert stored.status_code == 201
    token_url = stored.json["url"]
    reference = gateway.post_app({"text": "垃圾堆在路边", "attachments": [{"id": stored.json["id"]}]}).json["reference"]
    gateway.drain()
    [event] = case_system.accepted()
    assert event["report"]["attachments"][0]["url"] == token_url
    fetched = gateway.client.get(token_url.split("8000", 1)[1])
    assert fetched.status_code == 200 and fetched.data == PNG and fetched.mimetype == "image/png"
    assert fetched.headers["X-Content-Type-Options"] == "nosniff"
    assert gateway.get(f"/api/v1/tickets/{reference}").json["attachments"][0]["content_type"] == "image/png"


def test_upload_refusals(sqlite_gateway):
    gw = sqlite_gateway
    assert upload(gw, b"<html><script>1</script>", "image/png").status_code == 415      # not what it claims
    assert upload(gw, b"MZ\x90\x00", "application/x-msdownload").status_code == 415
    assert upload(gw, b"", "image/png").status_code == 400
    too_big = upload(gw, PNG + b"\x00" * (20 * 1024 * 1024), "image/png")
    assert too_big.status_code == 413 and too_big.json["error"] == "attachment_too_large"
    assert gw.client.post("/api/v1/attachments", data=PNG).status_code == 401
    assert gw.client.get("/attachments/not-a-token").status_code == 404


def test_health_readiness_metrics(gateway):
    assert gateway.client.get("/healthz").json == {"status": "ok"}
    ready = gateway.client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["database"] == "ok"
    gateway.post_app({"text": "井盖缺失"})
    gateway.post_app({"text": "x"}, key="bad")
    text = gateway.client.get("/metrics").get_data(as_text=True)
    assert 'gateway_submissions_total{channel="app",outcome="created"} 1.0' in text
    assert 'gateway_tickets{status="received"} 1.0' in text
    gateway.drain()
    assert 'gateway_deliveries{outcome="delivered"}' not in gateway.client.get("/metrics").get_data(as_text=True)
    later = gateway.runtime.clock() + timedelta(seconds=6)      # the store's figures are cached for 5 s
    gateway.runtime.clock = lambda: later
    text = gateway.client.get("/metrics").get_data(as_text=True)
    assert 'gateway_deliveries{outcome="delivered"} 1.0' in text
    assert "gateway_pipeline_latency_seconds" in text


def test_openapi_describes_every_endpoint_of_the_contract(sqlite_gateway):
    spec = sqlite_gateway.client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ("/channels/app", "/channels/webhook/{source}", "/api/v1/attachments", "/attachments/{token}",
                 "/api/v1/tickets/{reference}", "/api/v1/cases/{id}", "/api/v1/case-updates", "/healthz",
                 "/readyz", "/metrics"):
        assert path in spec["paths"], path
    assert "text" in spec["components"]["schemas"]["AppSubmission"]["required"]
    json.dumps(spec)


def test_unknown_path_and_method_are_json(sqlite_gateway):
    assert sqlite_gateway.client.get("/nope").json["error"] == "not_found"
    assert sqlite_gateway.client.get("/channels/app").status_code == 405
