"""WeChat's customer-service window: a follower's own action opens 48 hours in which the account may message them.

Every push that WeChat counts as the follower's action (a message, a menu click, a follow or a QR-code scan; not
the automatic location report) is recorded, and notices that waited for the window to reopen go out again.
"""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gateway.notices import wake_waiting
from gateway.runtime import Runtime
from gateway.tables import wechat_users

OPENS_WINDOW = ("event:subscribe", "event:subscribe_scan", "event:scan", "event:click")


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
