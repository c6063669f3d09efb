"""WeChat followers hear back by customer-service message, which WeChat allows for 48 hours after the follower's
own action (a message, a menu click, a follow or a QR-code scan; not the automatic location report). Past it, a
template message if the profile configures one (`[notify.wechat_template]`), else the notice waits until the
follower writes again, which puts it back in line."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gateway.notice_routes import Outcome, Route, identity_value
from gateway.notices import wake_waiting
from gateway.runtime import Runtime
from gateway.tables import conversations, wechat_users

OPENS_WINDOW = ("event:subscribe", "event:subscribe_scan", "event:scan", "event:click")
# WeChat's answers that mean "not this way now": 45015 the 48-hour window closed, 45047 too many messages since the
# follower last wrote; 43004 the follower unfollowed and 40003 no such openid (permanent).
WINDOW_CLOSED = (45015, 45047)
GONE = (43004, 40003)


def notice_route(runtime: Runtime, row) -> Route | None:
    """The follower's openid."""
    openid = identity_value(row, "wechat")
    return Route("wechat", openid) if openid else None


def _last_action_at(runtime: Runtime, openid: str):
    with runtime.engine.connect() as conn:
        user = conn.execute(select(wechat_users.c.last_message_at).where(wechat_users.c.openid == openid)).scalar()
        chat = conn.execute(select(func.max(conversations.c.last_message_at)).where(
            conversations.c.channel == "wechat", conversations.c.citizen == f"wechat:{openid}")).scalar()
    return max(filter(None, (user, chat)), default=None)


def _template_data(template: dict[str, Any], notice) -> dict[str, Any]:
    values = {"body": notice.body, "references": "、".join(notice.refs), "status": notice.status,
              "unit": notice.payload.get("unit") or "", "message": notice.payload.get("message") or ""}
    return {name: {"value": str(text).format(**values)} for name, text in (template.get("fields") or {}).items()}


def send_wechat_notice(runtime: Runtime, notice) -> Outcome:
    """Customer-service message in the window; template message or waiting past it."""
    from wechatpy.exceptions import WeChatClientException

    from gateway.wechat.client import NotConfigured, make_client

    cfg = runtime.settings.section("notify")
    last = _last_action_at(runtime, notice.recipient)
    in_window = last is not None and runtime.clock() - last < timedelta(hours=float(cfg.get("wechat_window_hours", 48)))
    template = cfg.get("wechat_template") or {}
    try:
        client = make_client(runtime)
        if in_window:
            try:
                client.message.send_text(notice.recipient, notice.body)
                return Outcome("sent", "已发送微信客服消息")
            except WeChatClientException as exc:
                if exc.errcode not in WINDOW_CLOSED:
                    raise
        if template.get("template_id"):
            client.message.send_template(notice.recipient, template["template_id"], _template_data(template, notice),
                                         url=template.get("url") or None)
            return Outcome("sent", "已发送微信模板消息")
        return Outcome("waiting", "超过微信48小时客服消息时限，待市民下次留言后发送")
    except NotConfigured as exc:
        return Outcome("retry", str(exc))
    except WeChatClientException as exc:
        return Outcome("failed" if exc.errcode in GONE else "retry", f"wechat {exc.errcode}: {exc.errmsg}")
    except requests.RequestException as exc:
        return Outcome("retry", f"wechat: {type(exc).__name__}")


def opens_window(kind: str) -> bool:
    """True for the push kinds after which WeChat allows customer-service messages."""
    return not kind.startswith("event:") or kind in OPENS_WINDOW


def note_follower_action(runtime: Runtime, openid: str, kind: str) -> int:
    """Record the follower's action time; returns how many waiting notices were put back in line."""
    if not openid or not opens_window(kind):
        return 0
    now = runtime.clock()
    later: list = []
    with runtime.engine.begin() as conn:
        stmt = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(wechat_users).values(
            openid=openid, subscribed=True, created_at=now, updated_at=now, last_message_at=now)
        conn.execute(stmt.on_conflict_do_update(index_elements=["openid"], set_={"last_message_at": now}))
        woken = wake_waiting(conn, runtime, "wechat", openid, later)
    for job, arg, urgent in later:
        runtime.queue.enqueue(job, arg, urgent)
    return woken
