"""Partner platforms hear of their reports' cases when the profile names a callback URL for the source
(`[notify.partner_callbacks]`): a `citizen.notice` signed with that source's own secret."""
from __future__ import annotations

from gateway.notice_routes import Outcome, Route, contact
from gateway.runtime import Runtime
from gateway.signed_notices import post_notice


def _callback_url(runtime: Runtime, source: str) -> str | None:
    return (runtime.settings.section("notify").get("partner_callbacks") or {}).get(source)


def notice_route(runtime: Runtime, row) -> Route | None:
    """One notice per (source, partner's user) or per report; none for a source without a callback URL."""
    source = row.source or ""
    if not _callback_url(runtime, source) or source not in runtime.settings.webhook_secrets:
        return None
    user_id = contact(row).get("user_id")
    recipient = f"{source}:user:{user_id}" if user_id else f"{source}:ref:{row.reference}"
    return Route("partner", recipient, {"source": source, "user_id": user_id})


def send_partner_notice(runtime: Runtime, notice) -> Outcome:
    """The signed callback to the partner platform."""
    source = notice.payload.get("source") or ""
    return post_notice(runtime, notice, _callback_url(runtime, source), runtime.settings.webhook_secrets.get(source))
