"""SMS citizens hear back by text, through the SMS outbox (which retries and keeps failures visible), from the
provider they wrote to; a number that texted 退订/TD gets no more notices until it texts 订阅."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gateway.notice_routes import Outcome, Route, identity_value
from gateway.runtime import Runtime
from gateway.sms.outbound import queue_sms
from gateway.tables import sms_optouts


def notice_route(runtime: Runtime, row) -> Route | None:
    """The sender's number, answered through Twilio or the domestic uplink's provider, as it wrote in."""
    phone = identity_value(row, "phone")
    if not phone:
        return None
    provider = "twilio" if row.source == "twilio" else runtime.settings.section("sms").get("uplink_provider", "aliyun")
    return Route("sms", phone, {"provider": provider})


def send_sms_notice(runtime: Runtime, notice) -> Outcome:
    """Into the SMS outbox, keyed on the notice, unless the number unsubscribed."""
    later: list = []
    with runtime.engine.begin() as conn:
        if conn.execute(select(sms_optouts.c.phone).where(sms_optouts.c.phone == notice.recipient)).first():
            return Outcome("skipped", "该号码已退订短信通知")
        # A notice sent again after a crash finds its text already queued (the key is unique).
        queue_sms(conn, runtime, key=f"notice:{notice.id}", provider=notice.payload.get("provider") or "aliyun",
                  to=notice.recipient, body=notice.body, later=later)
    for job, arg, urgent in later:
        runtime.queue.enqueue(job, arg, urgent)
    return Outcome("sent", f"已交短信发送（{notice.payload.get('provider')}）")


def set_sms_optout(conn, phone: str, now, out: bool) -> None:
    """退订 (out=True) or 订阅 again (out=False) for SMS notices to `phone`, in the caller's transaction."""
    if out:
        stmt = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(sms_optouts)
        conn.execute(stmt.values(phone=phone, created_at=now).on_conflict_do_nothing())
    else:
        conn.execute(delete(sms_optouts).where(sms_optouts.c.phone == phone))
