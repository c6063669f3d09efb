"""The unit a call being keyed in would be suggested to (JSON for the call-entry page); nothing is written."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from gateway.console.auth import signed_in
from gateway.dispatch_store import suggested_unit
from normalizer.ticket import new_ticket

bp = Blueprint("dispatch_hint", __name__)
MIN_TEXT_CHARS = 4


@bp.get("/dispatch-suggest")
@signed_in()
def dispatch_suggest():
    """`{"suggested_unit": {name, score, basis} | null, "category", "district"}` for the draft call."""
    runtime = current_app.extensions["gateway"]
    args = request.args
    text = args.get("text", "")[:2000]
    district, address, category = args.get("district", "")[:50], args.get("address", "")[:300], \
        args.get("category", "")[:200]
    if len(text.strip()) < MIN_TEXT_CHARS and not category:
        return jsonify({"suggested_unit": None, "category": None, "district": None})
    # The draft goes through the pipeline's normalizer: the suggestion is the one the case would open with.
    draft = new_ticket(channel="hotline", external_id="console:draft", text=text, received_at=runtime.clock(),
                       category=category or None, extra={"address": " ".join(filter(None, [district, address]))})
    draft.normalized = runtime.normalizer.normalize(draft)
    with runtime.engine.connect() as conn:
        suggestion = suggested_unit(conn, runtime.settings.profile, draft.to_dict())
    found = draft.normalized.get("category") or {}
    return jsonify({"suggested_unit": suggestion, "category": found.get("path") or found.get("level1"),
                    "district": draft.normalized.get("district")})
