"""App reports hear back through the app backend: a signed `citizen.notice` to GATEWAY_APP_CALLBACK_URL."""
from __future__ import annotations

from gateway.notice_routes import Outcome, Route, contact
from gateway.runtime import Runtime
from gateway.signed_notices import post_notice


def notice_route(runtime: Runtime, row) -> Route | None:
    """One notice per app user (or per report when the app named no user); none without an app backend."""
    if not runtime.settings.app_callback_url:
        return None  # no app backend: app citizens read their progress in the ticket API
    user_id = contact(row).get("user_id")
    return Route("app", f"user:{user_id}" if user_id else f"ref:{row.reference}", {"user_id": user_id})


def send_app_notice(runtime: Runtime, notice) -> Outcome:
    """The signed callback to the app backend."""
    s = runtime.settings
    return post_notice(runtime, notice, s.app_callback_url, s.app_callback_secret)
