"""The Flask application factory."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask, request

from config import load_settings
from gateway.console import init_console
from gateway.metrics import Metrics
from gateway.runtime import Runtime, build_runtime, install
from gateway import registry
from gateway.web import api_views, attachment_views, hot_views, ops_views, openapi
from gateway.web.errors import ApiError, register_error_handlers

log = logging.getLogger(__name__)


def channel_states(runtime: Runtime) -> dict[str, bool]:
    """Which channels are on with this configuration."""
    states = {}
    for channel in registry.CHANNELS:
        states.update(channel.states(runtime.settings))
    # Not a citizens' channel, but an inbound endpoint that needs its credentials just the same.
    states["case-updates"] = bool(runtime.settings.downstream_secret)
    return states


def create_app(overrides: Mapping[str, Any] | None = None, *, runtime: Runtime | None = None,
               start_worker: bool | None = None) -> Flask:
    """Build the app: settings from the environment (and `.env`) with `overrides` on top, store migrated.

    In embedded mode (no Redis) an in-process worker thread runs the pipeline unless `start_worker` is False.
    """
    if runtime is None:
        runtime = build_runtime(load_settings(overrides=overrides))
    install(runtime)
    app = Flask(__name__)
    app.json.ensure_ascii = False  # Chinese text stays readable and exactly as sent
    app.json.sort_keys = False
    app.extensions["gateway"] = runtime
    app.extensions["gateway_metrics"] = Metrics(runtime)
    register_error_handlers(app)
    for blueprint in (api_views.bp, attachment_views.bp, ops_views.bp, openapi.bp, hot_views.bp,
                      *(channel.blueprint for channel in registry.CHANNELS)):
        app.register_blueprint(blueprint)
    init_console(app, runtime)  # the operator console at /console (session sign-in)

    body_limit = runtime.settings.section("intake").get("max_body_bytes", 262144)
    upload_limit = runtime.settings.section("attachments").get("max_bytes", 20971520) + 65536

    @app.before_request
    def _limit_body():
        # Uploads may be large; everything else is a small JSON or form body.
        request.max_content_length = upload_limit if request.path == "/api/v1/attachments" else body_limit

    @app.before_request
    def _refuse_nul_in_url():
        # No reference, token, id or filter holds a NUL, and PostgreSQL text cannot: a %00 that reached a query
        # would be a DataError (500) instead of the caller's mistake.
        if "\x00" in request.path or b"%00" in request.query_string or b"\x00" in request.query_string:
            raise ApiError(400, "nul_in_url", "URL 中不能包含 NUL（%00）字符")

    on = [name for name, enabled in channel_states(runtime).items() if enabled]
    off = [name for name, enabled in channel_states(runtime).items() if not enabled]
    log.info("channels on: %s; off (credentials missing): %s; mode: %s", ", ".join(on) or "none",
             ", ".join(off) or "none", "embedded" if runtime.settings.embedded else "production (Redis)")

    if start_worker is None:
        start_worker = runtime.settings.embedded
    if start_worker and runtime.settings.embedded:
        from gateway.embedded import EmbeddedWorker
        worker = EmbeddedWorker(runtime)
        worker.start()
        app.extensions["gateway_worker"] = worker
    return app
