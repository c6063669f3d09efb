"""`POST /channels/webhook/<source>`: a signed report from a partner platform (110 linkage, petitions …)."""
from __future__ import annotations

from flask import Blueprint, request

from channels.partner_webhook.submission import parse_webhook
from gateway.intake import json_body_hash
from gateway.web.json_intake import accept_report, runtime_here

bp = Blueprint("partner_webhook", __name__)


@bp.post("/channels/webhook/<source>")
def webhook_submission(source: str):
    """A signed report from a partner platform."""
    runtime = runtime_here()
    raw = request.get_data(cache=False)
    limits = runtime.settings.section("intake")
    _event_id, ticket = parse_webhook(source, runtime.settings.webhook_secrets, request.headers, raw,
                                      now=runtime.clock(), zone=runtime.settings.timezone,
                                      max_text_chars=limits.get("max_text_chars", 20000))
    return accept_report(runtime, f"webhook:{source}", json_body_hash(raw), raw, ticket, source=source)
