"""The notice outbox: every citizen of a case hears of its updates on their own channel, once.

`plan_notices` runs in the transaction that applies a case update and writes one row per (update, route,
recipient), naming every reference of that recipient in the case; the unique key makes a repeated plan harmless.
The `send_notice` job claims a row with a lease (one sender at a time), holds SMS and WeChat notices back during
quiet hours unless the case is urgent, sends through the route's sender and records the outcome: sent, retried
with backoff, `waiting` (WeChat's 48-hour window closed), `callback` (an operator calls back), `skipped` (the
number unsubscribed) or, after the retry budget, `parked` for an operator to replay from the console.
"""
from __future__ import annotations

import logging
import random
import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from channels.notices import RATABLE, parse_quiet_hours, quiet_until, render_notice
from gateway.notice_routes import Outcome, route_for, sender_for
from gateway.runtime import Runtime
from gateway.tables import cases, notices, tickets

log = logging.getLogger(__name__)

JOB = "send_notice"
DEFAULT_STATUSES = ("accepted", "resolved", "closed")
DEFAULT_QUIET_HOURS = "22:00-08:00"
# Routes that reach a person's phone directly: held back at night unless the case is urgent.
QUIET_ROUTES = ("sms", "wechat")
LEASE = timedelta(seconds=60)


def _cfg(runtime: Runtime):
    return runtime.settings.section("notify")


def notify_statuses(runtime: Runtime) -> tuple[str, ...]:
    """The case statuses citizens are told of (`[notify] statuses`)."""
    return tuple(_cfg(runtime).get("statuses", DEFAULT_STATUSES))


def _city(runtime: Runtime) -> str:
    return runtime.settings.section("city").get("name", "")


def _asked_before(conn: Connection, case_id: int, route: str, recipient: str) -> bool:
    return conn.execute(select(notices.c.id).where(
        notices.c.case_id == case_id, notices.c.route == route, notices.c.recipient == recipient,
        notices.c.asks_rating.is_(True)).limit(1)).first() is not None


def plan_notices(conn: Connection, runtime: Runtime, case_id: int, update_key: str, status: str,
                 message: str | None, unit: str | None, later: list) -> int:
    """Write this update's notices (one per recipient) within the caller's transaction; returns how many."""
    if status not in notify_statuses(runtime):
        return 0
    case = conn.execute(select(cases.c.priority).where(cases.c.id == case_id)).one()
    rows = conn.execute(select(tickets).where(tickets.c.case_id == case_id)
                        .order_by(tickets.c.received_at, tickets.c.id)).all()
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        route = route_for(runtime, row)
        if route is None:
            continue
        entry = grouped.setdefault((route.route, route.recipient),
                                   {"channel": row.channel, "refs": [], "payload": dict(route.payload)})
        entry["refs"].append(row.reference)
    templates = _cfg(runtime).get("templates") or {}
    now = runtime.clock()
    urgent = case.priority == "urgent"
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    made = 0
    for (route, recipient), entry in grouped.items():
        asks = status in RATABLE and route != "callback" and not _asked_before(conn, case_id, route, recipient)
        body = render_notice(templates, template="callback" if route == "callback" else status, status=status,
                             references=entry["refs"], city=_city(runtime), unit=unit, message=message,
                             asks_rating=asks)
        payload = {**entry["payload"], "unit": unit, "message": message}
        state = "callback" if route == "callback" else "pending"
        row = conn.execute(insert(notices).values(
            event_id=str(uuid.uuid4()), case_id=case_id, update_key=update_key, channel=entry["channel"],
            route=route, recipient=recipient, refs=entry["refs"], status=status, body=body, payload=payload,
            urgent=urgent, asks_rating=asks, state=state, outcome="待人工回电" if state == "callback" else None,
            attempts=0, next_attempt_at=now, created_at=now, updated_at=now,
        ).on_conflict_do_nothing().returning(notices.c.id)).first()
        if row is not None:
            made += 1
            if state == "pending":
                later.append((JOB, row.id, urgent))
    return made


def pending_notice_work(runtime: Runtime, limit: int = 500) -> list[tuple[str, int, bool]]:
    """(job, notice id, urgent) for notices due to be sent; for the sweeper."""
    now = runtime.clock()
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(notices.c.id, notices.c.urgent).where(
            notices.c.state == "pending", notices.c.next_attempt_at <= now,
            or_(notices.c.lease_until.is_(None), notices.c.lease_until < now))
            .order_by(notices.c.urgent.desc(), notices.c.next_attempt_at).limit(limit)).all()
    return [(JOB, r.id, bool(r.urgent)) for r in rows]


def _claim(runtime: Runtime, notice_id: int):
    """The notice, if it is due and this call won its lease; else None (another worker has it, or it is done)."""
    now = runtime.clock()
    with runtime.engine.begin() as conn:
        won = conn.execute(update(notices).where(
            notices.c.id == notice_id, notices.c.state == "pending", notices.c.next_attempt_at <= now,
            or_(notices.c.lease_until.is_(None), notices.c.lease_until < now))
            .values(lease_until=now + LEASE)).rowcount
        return conn.execute(select(notices).where(notices.c.id == notice_id)).first() if won else None


def _quiet_until(runtime: Runtime, notice):
    if notice.urgent or notice.route not in QUIET_ROUTES:
        return None
    window = parse_quiet_hours(_cfg(runtime).get("quiet_hours", DEFAULT_QUIET_HOURS))
    zone = ZoneInfo(runtime.settings.timezone)
    until = quiet_until(runtime.clock().astimezone(zone), window)
    return until.astimezone(runtime.clock().tzinfo) if until else None


def _backoff(runtime: Runtime, attempts: int) -> timedelta:
    cfg = _cfg(runtime)
    base, cap = float(cfg.get("retry_base_seconds", 30)), float(cfg.get("retry_max_seconds", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)) * random.uniform(0.8, 1.0))


def _set(runtime: Runtime, notice_id: int, **values) -> None:
    values.update(lease_until=None, updated_at=runtime.clock())
    with runtime.engine.begin() as conn:
        conn.execute(update(notices).where(notices.c.id == notice_id).values(**values))


def send_notice(runtime: Runtime, notice_id: int) -> str | None:
    """Send one notice if due and ours; returns its new state (None: not ours to send now)."""
    notice = _claim(runtime, notice_id)
    if notice is None:
        return None
    until = _quiet_until(runtime, notice)
    if until is not None:
        _set(runtime, notice.id, next_attempt_at=until, outcome=f"免打扰时段，推迟至 {until.isoformat()}")
        return "pending"
    sender = sender_for(notice.route)
    try:
        outcome = sender(runtime, notice) if sender else Outcome("failed", f"no sender for route {notice.route}")
    except Exception as exc:  # a bug in one sender must not stop the worker; the notice is retried
        log.exception("notice %s: sender crashed", notice.id)
        outcome = Outcome("retry", f"{type(exc).__name__}: {exc}"[:500])
    attempts = notice.attempts + 1
    now = runtime.clock()
    values: dict[str, Any] = {"attempts": attempts, "outcome": outcome.detail}
    state = outcome.state
    if state == "retry" and attempts >= int(_cfg(runtime).get("max_attempts", 8)):
        state = "failed"
    if state == "retry":
        values.update(next_attempt_at=now + _backoff(runtime, attempts), last_error=outcome.detail)
        state = "pending"
    elif state == "failed":
        state = "parked"
        values["last_error"] = outcome.detail
    elif state == "sent":
        values.update(sent_at=now, last_error=None)
    values["state"] = state
    _set(runtime, notice.id, **values)
    level = logging.WARNING if state in ("parked", "pending") else logging.INFO
    log.log(level, "notice %s (%s, case %s, %s): %s %s", notice.id, notice.route, notice.case_id, notice.status,
            state, outcome.detail or "")
    return state


def wake_waiting(conn: Connection, runtime: Runtime, route: str, recipient: str, later: list) -> int:
    """The citizen wrote again: their notices that waited for it go out now (WeChat's window is open again)."""
    now = runtime.clock()
    ids = [r.id for r in conn.execute(select(notices.c.id).where(
        notices.c.route == route, notices.c.recipient == recipient, notices.c.state == "waiting"))]
    if ids:
        conn.execute(update(notices).where(notices.c.id.in_(ids), notices.c.state == "waiting").values(
            state="pending", next_attempt_at=now, updated_at=now))
        later.extend((JOB, notice_id, False) for notice_id in ids)
    return len(ids)


def replay_parked(runtime: Runtime, notice_ids: list[int] | None = None) -> int:
    """Put parked notices (all, or the ones named) back in line; returns how many."""
    condition = notices.c.state == "parked"
    if notice_ids:
        condition = and_(condition, notices.c.id.in_(notice_ids))
    now = runtime.clock()
    with runtime.engine.begin() as conn:
        ids = [r.id for r in conn.execute(select(notices.c.id).where(condition))]
        if ids:
            conn.execute(update(notices).where(notices.c.id.in_(ids), notices.c.state == "parked").values(
                state="pending", attempts=0, next_attempt_at=now, lease_until=None, updated_at=now))
    for notice_id in ids:
        runtime.queue.enqueue(JOB, notice_id)
    return len(ids)


def mark_called_back(runtime: Runtime, notice_id: int, operator: str) -> bool:
    """An operator called the citizen back: the call-back notice is done; False if it was not waiting for one."""
    now = runtime.clock()
    with runtime.engine.begin() as conn:
        return bool(conn.execute(update(notices).where(notices.c.id == notice_id, notices.c.state == "callback")
                                 .values(state="done", outcome=f"已由 {operator} 回电告知", sent_at=now,
                                         updated_at=now)).rowcount)


def notice_view(row) -> dict[str, Any]:
    """A notice as operators see it: recipients masked, except the number an operator must call back."""
    from channels.phone import mask_phone
    recipient = mask_phone(row.recipient) if row.route in ("sms", "callback") else row.recipient[:6] + "…"
    return {"id": row.id, "case_id": row.case_id, "channel": row.channel, "route": row.route,
            "recipient": recipient, "call": (row.payload or {}).get("phone") if row.route == "callback" else None, "references": list(row.refs), "status": row.status, "state": row.state,
            "outcome": row.outcome, "attempts": row.attempts, "body": row.body,
            "created_at": row.created_at.isoformat(), "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "last_error": row.last_error}


def case_notices(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    """Every notice about the case, oldest first, with its outcome."""
    rows = conn.execute(select(notices).where(notices.c.case_id == case_id).order_by(notices.c.id)).all()
    return [notice_view(r) for r in rows]


def notices_in_state(runtime: Runtime, state: str, limit: int = 200) -> list[dict[str, Any]]:
    """Notices in one state (parked, callback, waiting), oldest first: the console's work lists."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(notices).where(notices.c.state == state)
                            .order_by(notices.c.updated_at, notices.c.id).limit(limit)).all()
    return [notice_view(r) for r in rows]


def notice_counts(conn: Connection) -> list[tuple[str, int]]:
    """(state, count) for /metrics."""
    return conn.execute(select(notices.c.state, func.count()).group_by(notices.c.state)).all()
