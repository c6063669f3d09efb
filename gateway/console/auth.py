"""Console sign-in: session cookies that expire after a spell of inactivity, and role checks per view."""
from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from gateway.console.csrf import csrf_token
from gateway.operators import AccountLocked, Operator, check_credentials, end_sessions, find_operator
from gateway.web.limits import request_address

bp = Blueprint("auth", __name__)

DEFAULT_IDLE_MINUTES = 480  # 8 hours: one operator shift


def idle_seconds() -> float:
    """How long a session may stay unused (profile `[console] idle_timeout_minutes`)."""
    runtime = current_app.extensions["gateway"]
    return float(runtime.settings.section("console").get("idle_timeout_minutes", DEFAULT_IDLE_MINUTES)) * 60


def load_operator() -> None:
    """Put the signed-in operator in `g.operator` (None when signed out, expired or disabled)."""
    g.operator = None
    name, seen = session.get("operator"), session.get("seen", 0)
    if not name:
        return
    now = time.time()
    if now - seen > idle_seconds():
        session.clear()
        g.session_expired = True
        return
    # Looked up on every request: a disabled account or a changed role takes effect at once.
    operator = find_operator(current_app.extensions["gateway"].engine, name)
    if operator is None or session.get("generation") != operator.session_generation:
        # Disabled, or its sessions were ended (sign-out, a new password, `operators disable`): a cookie saved
        # before then is worth nothing.
        session.clear()
        return
    session["seen"] = now
    g.operator = operator


def signed_in(role: str = "operator"):
    """Decorator: sign-in page for the signed out; 403 when the operator's role is below `role`."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("operator") is None:
                # A form post or the page script's fetch cannot follow a redirect to a form: say 401.
                if request.method != "GET" or request.accept_mimetypes.best == "application/json":
                    abort(401)
                return redirect(url_for("console.auth.sign_in", next=request.full_path.rstrip("?"),
                                        expired=1 if g.get("session_expired") else None))
            if not g.operator.can(role):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def _safe_next(target: str | None) -> str:
    # Only a path on this site: an open redirect would let a phishing link bounce through the console.
    if target and target.startswith("/console") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("console.calls.new_call")


def back_to_referrer() -> str:
    """Where "back" goes: the referring console page as a relative path when it is this site's, else call entry.

    The Referer header is the browser's (or an attacker's page's) to write: a link from evil.example must not
    bounce a signed-in operator back to evil.example."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return _safe_next(None)
    if referrer.scheme and referrer.scheme != request.scheme:
        return _safe_next(None)
    return _safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """The sign-in form, and the check of a name and password."""
    error, status = None, 200
    if request.method == "POST":
        try:
            operator: Operator | None = check_credentials(current_app.extensions["gateway"].engine,
                                                          request.form.get("name", ""),
                                                          request.form.get("password", ""), request_address())
        except AccountLocked:
            operator, error, status = None, "密码错误次数过多，该账号已暂时锁定，请 5 分钟后再试", 429
        if operator is not None:
            target = _safe_next(request.args.get("next"))
            session.clear()  # a new session on sign-in: no fixation of a token planted before
            session.permanent = True
            session.update(operator=operator.name, seen=time.time(), generation=operator.session_generation)
            csrf_token()
            return redirect(target)
        if error is None:
            error, status = "用户名或密码错误", 401
    expired = g.get("session_expired", False) or request.args.get("expired") == "1"
    return render_template("console/sign_in.html", error=error, expired=expired,
                           name=request.form.get("name", "")), status


@bp.post("/sign-out")
def sign_out():
    """End the session, and every other session of the account (a copied cookie included)."""
    if g.get("operator") is not None:
        end_sessions(current_app.extensions["gateway"].engine, g.operator.name)
    session.clear()
    return redirect(url_for("console.auth.sign_in"))
