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
from gateway.ratings import RATINGS, rate_reference
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


class RatingIn(Schema):
    rating = fields.Integer(required=True, strict=True,
                            validate=validate.OneOf(list(RATINGS), error="应为 1（满意）、2（基本满意）或 3（不满意）"))
    comment = fields.String(allow_none=True, validate=validate.Length(max=500))


RATING_REFUSED = {
    "not_found": (404, "ticket_not_found", "未找到该编号的诉求"),
    "not_ratable": (409, "case_not_resolved", "该诉求尚未办结，办结后才能评价"),
    "conflict": (409, "already_rated", "该诉求已评价过，评价不能更改"),
}


@bp.post("/tickets/<reference>/rating")
@require_key()
def post_rating(reference: str):
    """The citizen's rating of the answer (1 满意, 2 基本满意, 3 不满意), once per report."""
    data = load_with(RatingIn(), parse_json_object(request.get_data(cache=False)))
    reference = normalize_reference(reference)
    result = rate_reference(_runtime(), reference, rating=data["rating"], comment=data.get("comment"),
                            channel="app", rated_by=g.api_key.name)
    if result.outcome in RATING_REFUSED:
        status, code, message = RATING_REFUSED[result.outcome]
        raise ApiError(status, code, message)
    body = {"reference": reference, "rating": result.rating, "label": result.label, "comment": result.comment,
            "message": f"感谢您的评价（{result.label}）"}
    return jsonify(body), 201 if result.outcome == "recorded" else 200


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
