"""The operator console at /console: server-rendered pages for the people who key in calls and look after cases."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException

from gateway.console import auth, calls, cases, dispatch_hint, display, feedback, hot_page, lists
from gateway.console.csrf import check_csrf, csrf_token
from gateway.console.secret_key import console_secret_key
from gateway.console.taxonomy import Taxonomy
from gateway.runtime import Runtime

STATIC = Path(__file__).resolve().parent.parent / "static" / "console"

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder=str(STATIC), static_url_path="/static")
for child in (auth.bp, calls.bp, cases.bp, lists.bp, hot_page.bp, dispatch_hint.bp, feedback.bp):
    bp.register_blueprint(child)

ERROR_TEXT = {400: "请求有误", 401: "请先登录", 403: "您的角色无权执行此操作", 404: "未找到", 405: "不支持此操作",
              413: "提交内容过大"}


@dataclass(frozen=True)
class ConsoleConfig:
    """What the console loads once at start-up."""

    taxonomy: Taxonomy
    districts: list[str]
    phone_region: str
    zone: ZoneInfo                 # the city's (GATEWAY_TIMEZONE or the profile's): every time shown is in it


@bp.before_request
def _session_and_csrf():
    auth.load_operator()
    check_csrf()
    if any("\x00" in value for _, value in request.form.items(multi=True)):
        # PostgreSQL text cannot hold NUL: refuse it here rather than fail in a query or an insert.
        abort(400, description="提交的内容中不能包含 NUL 字符")


# The console's pages load only their own script and stylesheet; no page may be framed (clickjacking a merge or
# a replay button), and no form may post elsewhere.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@bp.after_request
def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@bp.app_context_processor
def _template_helpers():
    return {"csrf_token": csrf_token, "operator": g.get("operator")}


def _zone() -> ZoneInfo:
    return current_app.extensions["console"].zone


@bp.app_template_filter("local_time")
def _local_time(value) -> str:
    """A stored time as the city's wall-clock time."""
    return display.local_time(value, _zone())


bp.add_app_template_filter(display.ticket_status, "ticket_status")
bp.add_app_template_filter(display.case_status, "case_status")
bp.add_app_template_filter(display.channel_name, "channel_name")
bp.add_app_template_filter(display.event_type, "event_type")
bp.add_app_template_filter(display.rule_name, "rule_name")
bp.add_app_template_filter(display.weighed_terms, "weighed_terms")


@bp.errorhandler(HTTPException)
def _error_page(exc: HTTPException):
    status = exc.code or 500
    detail = exc.description if status == 400 else None
    return render_template("console/error.html", status=status, title=ERROR_TEXT.get(status, "出错了"),
                           detail=detail), status


def init_console(app: Flask, runtime: Runtime) -> None:
    """Register the console: session cookie settings, the signing key, the taxonomy and districts."""
    settings = runtime.settings
    app.secret_key = console_secret_key(settings.var_dir, settings.secret_key)
    idle = float(settings.section("console").get("idle_timeout_minutes", auth.DEFAULT_IDLE_MINUTES))
    app.config.update(
        SESSION_COOKIE_NAME="gateway_console", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"), SESSION_COOKIE_PATH="/console",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=idle))
    gazetteer = runtime.normalizer.gazetteer
    app.extensions["console"] = ConsoleConfig(
        taxonomy=Taxonomy.from_profile(settings.profile), districts=list(gazetteer.streets_by_district),
        phone_region=(settings.profile.get("city") or {}).get("phone_region") or "CN",
        zone=ZoneInfo(settings.timezone))
    app.register_blueprint(bp)
