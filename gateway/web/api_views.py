"""The read API and the case system's updates."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from marshmallow import Schema, fields, validate

from channels.case_ids import MAX_CASE_ID
from channels.case_updates import parse_case_update
from channels.jsonbody import load_with, parse_json_object
from gateway.case_admin import CaseActionRefused, merge, unmerge
from gateway.case_updates import UnknownCase, apply_case_update
from gateway.intake import IdempotencyConflict, json_body_hash
from gateway.reads import case_view, ticket_view
from gateway.retention import record_personal_read
from gateway.references import normalize_reference
from gateway.web.auth import RANK, require_key
from gateway.web.errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# A case number beyond the store's ids is no case: 404 here, rather than an overflow in the database driver.
CASE = f"/cases/<int(max={MAX_CASE_ID}):case_id>"


def _runtime():
    return current_app.extensions["gateway"]


@bp.get("/tickets/<reference>")
@require_key()
def get_ticket(reference: str):
    """A ticket by its reference, with its case once dedupe has run."""
    personal = RANK[g.api_key.role] >= RANK["operator"]
    view = ticket_view(_runtime(), normalize_reference(reference), personal=personal)
    if view is None:
        raise ApiError(404, "ticket_not_found", "未找到该编号的诉求")
    if personal:
        record_personal_read(_runtime(), f"key:{g.api_key.name}", "api:ticket", detail=view["reference"])
    return jsonify(view)


@bp.get(CASE)
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


class UnmergeIn(Schema):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=32))
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class MergeIn(Schema):
    case_id = fields.Integer(required=True, strict=True,
                             validate=validate.Range(min=1, max=MAX_CASE_ID, error="应为正整数（案件编号）"))
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


@bp.post(f"{CASE}/unmerge")
@require_key(roles=("supervisor",))
def post_unmerge(case_id: int):
    """A supervisor takes a report out of the case; it becomes a case of its own (audited)."""
    data = load_with(UnmergeIn(), parse_json_object(request.get_data(cache=False)))
    try:
        new_id = unmerge(_runtime(), case_id, normalize_reference(data["reference"]), g.api_key.name,
                         data.get("reason"))
    except CaseActionRefused as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    return jsonify({"case_id": case_id, "new_case_id": new_id, "reference": normalize_reference(data["reference"])})


@bp.post(f"{CASE}/merge")
@require_key(roles=("supervisor",))
def post_merge(case_id: int):
    """A supervisor joins another case's reports into this case; the other closes as merged (audited)."""
    data = load_with(MergeIn(), parse_json_object(request.get_data(cache=False)))
    try:
        references = merge(_runtime(), case_id, data["case_id"], g.api_key.name, data.get("reason"))
    except CaseActionRefused as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    return jsonify({"case_id": case_id, "merged_case_id": data["case_id"], "references": references})
