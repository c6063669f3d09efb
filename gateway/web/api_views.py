"""The read API and the case system's updates."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from channels.case_updates import parse_case_update
from gateway.case_updates import UnknownCase, apply_case_update
from gateway.intake import IdempotencyConflict, json_body_hash
from gateway.reads import case_view, ticket_view
from gateway.references import normalize_reference
from gateway.web.auth import RANK, require_key
from gateway.web.errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _runtime():
    return current_app.extensions["gateway"]


@bp.get("/tickets/<reference>")
@require_key()
def get_ticket(reference: str):
    """A ticket by its reference, with its case once dedupe has run."""
    view = ticket_view(_runtime(), normalize_reference(reference),
                       personal=RANK[g.api_key.role] >= RANK["operator"])
    if view is None:
        raise ApiError(404, "ticket_not_found", "未找到该编号的诉求")
    return jsonify(view)


@bp.get("/cases/<int:case_id>")
@require_key("operator")
def get_case(case_id: int):
    """A case, its reports and the evidence of each merge."""
    view = case_view(_runtime(), case_id)
    if view is None:
        raise ApiError(404, "case_not_found", "未找到该案件")
    return jsonify(view)


@bp.post("/case-updates")
def post_case_update():
    """A signed status update from the case system."""
    runtime = _runtime()
    secret = runtime.settings.downstream_secret
    if not secret:
        raise ApiError(404, "case_system_not_configured", "未配置案件系统（DOWNSTREAM_SECRET），不接收案件更新")
    raw = request.get_data(cache=False)
    update_in = parse_case_update(secret, request.headers, raw, now=runtime.clock(), zone=runtime.settings.timezone)
    try:
        status, body = apply_case_update(runtime, update_in, raw, json_body_hash(raw))
    except UnknownCase:
        raise ApiError(404, "case_not_found", "未找到该案件") from None
    except IdempotencyConflict:
        raise ApiError(409, "idempotency_conflict", "该事件编号已用于内容不同的另一个更新") from None
    return jsonify(body), status
