"""`GET /api/v1/hot`: the hottest cases and the rising groups of one window, for operators."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from gateway.hot import WINDOWS
from gateway.hot_view import hot_list
from gateway.web.auth import require_key
from gateway.web.errors import ApiError

bp = Blueprint("hot", __name__, url_prefix="/api/v1")
MAX_LIMIT = 200


@bp.get("/hot")
@require_key("operator")
def get_hot():
    """Cases ranked by reports in the window, with the window before; rising category × district and rare-term groups."""
    window = request.args.get("window", "1h")
    if window not in WINDOWS:
        raise ApiError(400, "bad_window", "window 应为 1h、24h 或 7d", {"window": ["应为 1h、24h 或 7d"]})
    limit = request.args.get("limit", "50")
    if not (limit.isascii() and limit.isdigit() and len(limit) <= 3 and 1 <= int(limit) <= MAX_LIMIT):
        raise ApiError(400, "bad_limit", f"limit 应为 1 到 {MAX_LIMIT} 之间的整数",
                       {"limit": [f"应为 1 到 {MAX_LIMIT} 之间的整数"]})
    return jsonify(hot_list(current_app.extensions["gateway"], window, int(limit)))
