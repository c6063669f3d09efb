"""Liveness, readiness and metrics for operations."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from gateway.store import ping

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """The database (and Redis, in production mode) can be reached."""
    runtime = current_app.extensions["gateway"]
    checks = {}
    for name, check in (("database", lambda: ping(runtime.engine)), ("redis", runtime.queue.ping)):
        if name == "redis" and runtime.queue.embedded:
            continue
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; say which
            checks[name] = f"unavailable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503


@bp.get("/metrics")
def metrics():
    """Prometheus exposition."""
    body = current_app.extensions["gateway_metrics"].exposition()
    return Response(body, mimetype="text/plain; version=0.0.4")
