"""The 热点 page: the hottest cases and rising groups of a window, refreshing itself so a flood shows as it starts."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from gateway.console.auth import signed_in
from gateway.hot import WINDOWS
from gateway.hot_view import hot_list

bp = Blueprint("hot", __name__)

WINDOW_NAMES = {"1h": "近 1 小时", "24h": "近 24 小时", "7d": "近 7 天"}
DEFAULT_REFRESH_SECONDS = 10


@bp.get("/hot")
@signed_in()
def hot():
    """Cases ranked by reports in the window (1h by default), with the window before; rising groups."""
    runtime = current_app.extensions["gateway"]
    window = request.args.get("window", "1h")
    if window not in WINDOWS:
        window = "1h"
    refresh = int(runtime.settings.section("hot").get("console_refresh_seconds", DEFAULT_REFRESH_SECONDS))
    return render_template("console/hot.html", listing=hot_list(runtime, window), window=window,
                           window_names=WINDOW_NAMES, refresh=refresh)
