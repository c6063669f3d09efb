"""`POST /channels/hotline`: a call from the call-center system (client key) or the operator console (operator key)."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from channels.hotline.call import parse_hotline_call
from gateway.hotline.intake import UnknownCase, accept_hotline_call
from gateway.intake import IdempotencyConflict, json_body_hash
from gateway.runtime import Runtime
from gateway.web.auth import RANK, require_key
from gateway.web.errors import ApiError
from gateway.web.limits import refuse_limited_report

bp = Blueprint("hotline", __name__)


@bp.post("/channels/hotline")
@require_key()
def hotline_call():
    """One call: stored once per `call_id`; 201 with the reference, 200 for a repeat, 409 for a changed repeat."""
    runtime: Runtime = current_app.extensions["gateway"]
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "请使用 Content-Type: application/json")
    raw = request.get_data(cache=False)
    limits = runtime.settings.section("intake")
    submission = parse_hotline_call(raw, now=runtime.clock(), zone=runtime.settings.timezone,
                                    max_text_chars=limits.get("max_text_chars", 20000), entered_by=g.api_key.name)
    if submission.attach_to_case is not None and RANK[g.api_key.role] < RANK["operator"]:
        # Forcing a report into a case is an operator's decision; answered before the case is looked up, so a
        # client key learns nothing about which cases exist.
        raise ApiError(403, "forbidden", "并入案件（attach_to_case）需要话务员（operator）及以上角色的密钥")
    refuse_limited_report(submission.ticket)
    try:
        result = accept_hotline_call(runtime, submission, raw, json_body_hash(raw), scope=f"key:{g.api_key.name}")
    except UnknownCase as exc:
        raise ApiError(422, "unknown_case", exc.message, {"attach_to_case": [exc.message]}) from None
    except IdempotencyConflict:
        raise ApiError(409, "idempotency_conflict", "该通话编号（call_id）已用于内容不同的另一个请求") from None
    current_app.extensions["gateway_metrics"].submission("hotline", "created" if result.created else "repeat")
    return jsonify(result.body), result.status
