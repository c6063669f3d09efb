"""`citizen.notice` as a signed JSON callback (the app backend, partner platforms), signed as case-system events."""
from __future__ import annotations

import json
from typing import Any

import requests

from channels.signing import signed_headers
from gateway.notice_routes import Outcome
from gateway.runtime import Runtime


def notice_event(notice) -> dict[str, Any]:
    """The contract's `citizen.notice` body; `references` lists every reference when the citizen has several."""
    return {"id": notice.event_id, "type": "citizen.notice", "occurred_at": notice.created_at.isoformat(),
            "reference": notice.refs[0], "references": list(notice.refs), "user_id": notice.payload.get("user_id"),
            "case_id": notice.case_id, "status": notice.status, "message": notice.payload.get("message"),
            "unit": notice.payload.get("unit"), "text": notice.body, "asks_rating": notice.asks_rating}


def post_notice(runtime: Runtime, notice, url: str | None, secret: str | None) -> Outcome:
    """POST the notice, signed with `secret`; the event id is the receiver's idempotency key on every retry."""
    if not url or not secret:
        return Outcome("retry", "callback URL or secret not configured")
    body = json.dumps(notice_event(notice), ensure_ascii=False).encode("utf-8")
    headers = signed_headers(secret, notice.event_id, body, runtime.clock().timestamp())
    headers["Content-Type"] = "application/json; charset=utf-8"
    cfg = runtime.settings.section("delivery")
    try:
        response = runtime.http.post(url, data=body, headers=headers, allow_redirects=False,
                                     timeout=(cfg.get("connect_timeout_seconds", 3),
                                              cfg.get("read_timeout_seconds", 10)))
    except requests.RequestException as exc:
        return Outcome("retry", f"{type(exc).__name__}: {exc}"[:500])
    status = response.status_code
    if 200 <= status < 300:
        return Outcome("sent", f"对方已确认（HTTP {status}）")
    detail = f"HTTP {status}: {response.text[:300]}"
    # As for case events: a 4xx other than 408/429 will not get better by sending the same again.
    return Outcome("failed" if 400 <= status < 500 and status not in (408, 429) else "retry", detail)
