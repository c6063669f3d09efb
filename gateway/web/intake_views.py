"""The JSON channels: the mobile app and partner platforms' webhooks."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select

from channels.app import check_idempotency_key, parse_app_submission
from channels.webhook import parse_webhook
from gateway.intake import IdempotencyConflict, accept_submission, json_body_hash
from gateway.runtime import Runtime
from gateway.tables import attachments
from gateway.web.auth import require_key
from gateway.web.errors import ApiError
from normalizer.ticket import Ticket

bp = Blueprint("intake", __name__)


def _runtime() -> Runtime:
    return current_app.extensions["gateway"]


def _json_body() -> bytes:
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "请使用 Content-Type: application/json")
    return request.get_data(cache=False)


def _attachment_links(runtime: Runtime, ticket: Ticket) -> None:
    """Resolve `{id}` attachments to their stored file's link; an unknown id is the caller's error."""
    ids = [a.id for a in ticket.attachments if a.id]
    if not ids:
        return
    with runtime.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(attachments.c.id, attachments.c.token,
                                                     attachments.c.content_type)
                                              .where(attachments.c.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise ApiError(422, "unknown_attachment", "附件不存在，请先上传", {"attachments": missing})
    for item in ticket.attachments:
        if item.id:
            row = rows[item.id]
            item.url = f"{runtime.settings.public_url}/attachments/{row.token}"
            item.content_type = row.content_type


def _answer(reference: str, ticket: Ticket, emergency: dict) -> dict:
    message = f"您的诉求已受理，编号 {reference}。可凭编号查询办理进度。"
    body = {"reference": reference, "status": "received", "channel": ticket.channel,
            "received_at": ticket.received_at.isoformat(), "message": message, "emergency": False}
    if emergency.get("emergency"):
        # The citizen must hear this now, not after the pipeline: 12345 is no substitute for 110/119/120.
        body.update(emergency=True, advice=emergency.get("advice"), message=f"{emergency.get('advice')}{message}")
    return body


def _accept(runtime: Runtime, idem_channel: str, data_hash: str, raw: bytes, ticket: Ticket):
    _attachment_links(runtime, ticket)
    emergency = runtime.normalizer.quick_emergency(f"{ticket.title or ''}\n{ticket.text}")
    if emergency.get("emergency"):
        ticket.urgent = True
    try:
        result = accept_submission(runtime, channel=idem_channel, idem_key=ticket.external_id, digest=data_hash,
                                   raw=raw, ticket=ticket, answer=lambda ref: _answer(ref, ticket, emergency))
    except IdempotencyConflict:
        raise ApiError(409, "idempotency_conflict", "该幂等键已用于内容不同的另一个请求") from None
    current_app.extensions["gateway_metrics"].submission(ticket.channel, "created" if result.created else "repeat")
    return jsonify(result.body), result.status


@bp.post("/channels/app")
@require_key()
def app_submission():
    """A report from the mobile app."""
    runtime = _runtime()
    key = check_idempotency_key(request.headers.get("Idempotency-Key"))
    raw = _json_body()
    limits = runtime.settings.section("intake")
    ticket = parse_app_submission(raw, client=g.api_key.name, idempotency_key=key, now=runtime.clock(),
                                  max_text_chars=limits.get("max_text_chars", 20000))
    return _accept(runtime, "app", json_body_hash(raw), raw, ticket)


@bp.post("/channels/webhook/<source>")
def webhook_submission(source: str):
    """A signed report from a partner platform."""
    runtime = _runtime()
    raw = request.get_data(cache=False)
    limits = runtime.settings.section("intake")
    _event_id, ticket = parse_webhook(source, runtime.settings.webhook_secrets, request.headers, raw,
                                      now=runtime.clock(), zone=runtime.settings.timezone,
                                      max_text_chars=limits.get("max_text_chars", 20000))
    return _accept(runtime, f"webhook:{source}", json_body_hash(raw), raw, ticket)
