"""One sender per notice route: WeChat customer-service (or template) messages, SMS through the SMS outbox, and
signed `citizen.notice` callbacks to the app backend and partner platforms.

Each returns an Outcome: `sent`, `retry` (temporary: backoff), `failed` (permanent: parked for an operator),
`waiting` (nothing can be sent until the citizen writes again) or `skipped` (the citizen asked for no more).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

import requests
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from channels.signing import signed_headers
from gateway.runtime import Runtime
from gateway.tables import conversations, sms_optouts, wechat_users


@dataclass(frozen=True)
class Outcome:
    state: str                 # sent | retry | failed | waiting | skipped
    detail: str | None = None  # in Chinese for operators when it is an outcome, the provider's error otherwise


# --- SMS ---------------------------------------------------------------------------------------------------------

def _sms(runtime: Runtime, notice) -> Outcome:
    """Into the SMS outbox (which retries and keeps failures visible), unless the number unsubscribed."""
    from gateway.sms_outbound import queue_sms

    later: list = []
    with runtime.engine.begin() as conn:
        if conn.execute(select(sms_optouts.c.phone).where(sms_optouts.c.phone == notice.recipient)).first():
            return Outcome("skipped", "该号码已退订短信通知")
        # Keyed on the notice: a notice sent again after a crash finds its text already queued.
        queue_sms(conn, runtime, key=f"notice:{notice.id}", provider=notice.payload.get("provider") or "aliyun",
                  to=notice.recipient, body=notice.body, later=later)
    for job, arg, urgent in later:
        runtime.queue.enqueue(job, arg, urgent)
    return Outcome("sent", f"已交短信发送（{notice.payload.get('provider')}）")


# --- WeChat ------------------------------------------------------------------------------------------------------

# WeChat's answers that mean "not now, not this way": 45015 the 48-hour window closed, 45047 too many messages
# since the follower last wrote; 43004 the follower unfollowed (permanent).
_WINDOW_CLOSED = (45015, 45047)
_GONE = (43004, 40003)


def _last_message_at(runtime: Runtime, openid: str):
    with runtime.engine.connect() as conn:
        user = conn.execute(select(wechat_users.c.last_message_at).where(wechat_users.c.openid == openid)).scalar()
        chat = conn.execute(select(func.max(conversations.c.last_message_at)).where(
            conversations.c.channel == "wechat", conversations.c.citizen == f"wechat:{openid}")).scalar()
    return max(filter(None, (user, chat)), default=None)


def _template_data(template: dict[str, Any], notice) -> dict[str, Any]:
    values = {"body": notice.body, "references": "、".join(notice.refs), "status": notice.status,
              "unit": notice.payload.get("unit") or "", "message": notice.payload.get("message") or ""}
    return {name: {"value": str(text).format(**values)} for name, text in (template.get("fields") or {}).items()}


def _wechat(runtime: Runtime, notice) -> Outcome:
    """A customer-service message within 48 hours of the follower's last message; past it a template message if
    the profile configures one (`[notify.wechat_template]`), else wait for the follower's next message."""
    from wechatpy.exceptions import WeChatClientException

    from gateway.wechat_client import NotConfigured, make_client

    hours = float(runtime.settings.section("notify").get("wechat_window_hours", 48))
    last = _last_message_at(runtime, notice.recipient)
    in_window = last is not None and runtime.clock() - last < timedelta(hours=hours)
    template = runtime.settings.section("notify").get("wechat_template") or {}
    try:
        client = make_client(runtime)
        if in_window:
            try:
                client.message.send_text(notice.recipient, notice.body)
                return Outcome("sent", "已发送微信客服消息")
            except WeChatClientException as exc:
                if exc.errcode not in _WINDOW_CLOSED:
                    raise
        if template.get("template_id"):
            client.message.send_template(notice.recipient, template["template_id"], _template_data(template, notice),
                                         url=template.get("url") or None)
            return Outcome("sent", "已发送微信模板消息")
        return Outcome("waiting", "超过微信48小时客服消息时限，待市民下次留言后发送")
    except NotConfigured as exc:
        return Outcome("retry", str(exc))
    except WeChatClientException as exc:
        if exc.errcode in _GONE:
            return Outcome("failed", f"wechat {exc.errcode}: {exc.errmsg}")
        return Outcome("retry", f"wechat {exc.errcode}: {exc.errmsg}")
    except requests.RequestException as exc:
        return Outcome("retry", f"wechat: {type(exc).__name__}")


# --- Signed callbacks (app backend, partner platforms) -----------------------------------------------------------

def notice_event(runtime: Runtime, notice) -> dict[str, Any]:
    """The contract's `citizen.notice` body; `references` lists every reference when the citizen has several."""
    return {"id": notice.event_id, "type": "citizen.notice", "occurred_at": notice.created_at.isoformat(),
            "reference": notice.refs[0], "references": list(notice.refs), "user_id": notice.payload.get("user_id"),
            "case_id": notice.case_id, "status": notice.status, "message": notice.payload.get("message"),
            "unit": notice.payload.get("unit"), "text": notice.body, "asks_rating": notice.asks_rating}


def _post_signed(runtime: Runtime, notice, url: str | None, secret: str | None) -> Outcome:
    if not url or not secret:
        return Outcome("retry", "callback URL or secret not configured")
    body = json.dumps(notice_event(runtime, notice), ensure_ascii=False).encode("utf-8")
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


def _app(runtime: Runtime, notice) -> Outcome:
    s = runtime.settings
    return _post_signed(runtime, notice, s.app_callback_url, s.app_callback_secret)


def _partner(runtime: Runtime, notice) -> Outcome:
    source = notice.payload.get("source") or ""
    url = (runtime.settings.section("notify").get("partner_callbacks") or {}).get(source)
    return _post_signed(runtime, notice, url, runtime.settings.webhook_secrets.get(source))


SENDERS: dict[str, Callable[[Runtime, Any], Outcome]] = {
    "sms": _sms, "wechat": _wechat, "app": _app, "partner": _partner,
}


# --- Opt-outs and the follower's last message (called from the channels) -----------------------------------------

def set_sms_optout(conn, phone: str, now, out: bool) -> None:
    """退订 (out=True) or 订阅 again (out=False) for SMS notices to `phone`."""
    from sqlalchemy import delete
    if out:
        stmt = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(sms_optouts)
        conn.execute(stmt.values(phone=phone, created_at=now).on_conflict_do_nothing())
    else:
        conn.execute(delete(sms_optouts).where(sms_optouts.c.phone == phone))
