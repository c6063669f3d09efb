"""`POST /channels/app`: a report from the mobile app (Bearer key, `Idempotency-Key`)."""
from __future__ import annotations

from flask import Blueprint, g, request

from channels.mobile_app.submission import check_idempotency_key, parse_app_submission
from gateway.intake import json_body_hash
from gateway.web.auth import require_key
from gateway.web.json_intake import accept_report, json_body, runtime_here

bp = Blueprint("mobile_app", __name__)


@bp.post("/channels/app")
@require_key()
def app_submission():
    """A report from the mobile app."""
    runtime = runtime_here()
    key = check_idempotency_key(request.headers.get("Idempotency-Key"))
    raw = json_body()
    limits = runtime.settings.section("intake")
    ticket = parse_app_submission(raw, client=g.api_key.name, idempotency_key=key, now=runtime.clock(),
                                  max_text_chars=limits.get("max_text_chars", 20000))
    return accept_report(runtime, "app", json_body_hash(raw), raw, ticket)
