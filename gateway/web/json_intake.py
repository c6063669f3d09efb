"""What the JSON report channels (the mobile app, partner webhooks) share: body checks, attachment links, the answer."""
from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy import select

from gateway.intake import IdempotencyConflict, accept_submission
from gateway.runtime import Runtime
from gateway.tables import attachments
from gateway.web.errors import ApiError
from gateway.web.limits import refuse_limited_report
from normalizer.ticket import Ticket


def runtime_here() -> Runtime:
    """The runtime of the app serving this request."""
    return current_app.extensions["gateway"]


def json_body() -> bytes:
    """The raw body of a JSON request; 415 for another content type."""
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


def accept_report(runtime: Runtime, idem_channel: str, data_hash: str, raw: bytes, ticket: Ticket, *,
                  source: str | None = None):
    """Store a parsed report once per idempotency key; the JSON answer (201, or 200 for a repeat, 429 when its
    sender or partner source is over a limit)."""
    refuse_limited_report(ticket, source=source)
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
