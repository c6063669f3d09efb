"""Pipeline stage 3: send a case's events to the case system, in order, signed, with retries.

Per-case order: only the lowest pending sequence of a case is ever sent; the next waits until it was
acknowledged or dead-lettered. A lease makes one worker the sender of an event at a time; if that worker
dies mid-send the lease runs out and another sends it again, with the same event id, which is the case
system's idempotency key (at-least-once on the wire, exactly once by event id).
"""
from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, func, or_, select, update

from channels.signing import signed_headers
from gateway.case_system_http import SEND_ERRORS, CaseSystemClient
from gateway.raw_sql import raw_statement
from gateway.redaction import redact
from gateway.runtime import DELIVERY_CONCURRENCY, Runtime
from gateway.tables import outbox, tickets

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = DELIVERY_CONCURRENCY


def _outcome(status: int) -> str:
    """What an HTTP status means for the event: delivered, dead (permanent) or retry."""
    if 200 <= status < 300:
        return "delivered"
    if 400 <= status < 500 and status not in (408, 429):
        return "dead"
    return "retry"


def _backoff(runtime: Runtime, attempts: int) -> timedelta:
    cfg = runtime.settings.section("delivery")
    base, cap = cfg.get("backoff_base_seconds", 10), cfg.get("backoff_max_seconds", 1800)
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay * random.uniform(0.8, 1.0))  # jitter spreads a recovering system's load


def _lease(runtime: Runtime) -> timedelta:
    # Longer than one send can take (connect + read timeouts), so a live sender never loses its lease.
    return timedelta(seconds=runtime.settings.section("delivery").get("lease_seconds", 60))


def _claim_next(runtime: Runtime, case_id: int):
    """The case's next event if it is due and this call won its lease; else None."""
    with runtime.engine.begin() as conn:
        return _claim_in(conn, runtime, case_id)


def _claim_in(conn, runtime: Runtime, case_id: int):
    now = runtime.clock()
    event = conn.execute(select(outbox).where(outbox.c.case_id == case_id, outbox.c.status == "pending")
                         .order_by(outbox.c.sequence).limit(1)).first()
    if event is None or event.next_attempt_at > now:
        return None
    # The claim re-checks what was read (attempts, due time): another worker may have sent and finished
    # this event between the read and here, and must not be followed by an early second send.
    won = conn.execute(update(outbox).where(
        outbox.c.id == event.id, outbox.c.status == "pending", outbox.c.attempts == event.attempts,
        outbox.c.next_attempt_at <= now, or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
    ).values(lease_until=now + _lease(runtime))).rowcount
    return event if won else None


def _finish(runtime: Runtime, event, outcome: str, error: str | None, claim_next: bool = False):
    """Record the send's outcome; with `claim_next`, claim the case's next event in the same transaction
    (one round of the database per event of a busy case, not two)."""
    now = runtime.clock()
    retry_for = timedelta(hours=runtime.settings.section("delivery").get("retry_hours", 24))
    error = redact(error)   # the case system's URL may carry a token in its query string
    values: dict = {"lease_until": None, "attempts": event.attempts + 1, "last_error": error}
    if outcome == "retry":
        first_failed = event.first_failed_at or now
        values["first_failed_at"] = first_failed
        if now - first_failed >= retry_for:
            outcome = "dead"
        else:
            values["next_attempt_at"] = now + _backoff(runtime, event.attempts + 1)
    if outcome == "delivered":
        values.update(status="delivered", delivered_at=now, last_error=None)
    elif outcome == "dead":
        values.update(status="dead", dead_at=now)
    claim_next = claim_next and outcome != "retry"
    if runtime.engine.dialect.name == "postgresql":
        following = _finish_in_one(runtime, event, values, outcome == "delivered", claim_next, now)
    else:
        with runtime.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == event.id).values(**values))
            if outcome == "delivered" and event.ticket_id is not None:
                conn.execute(update(tickets).where(tickets.c.id == event.ticket_id, tickets.c.status == "in_case")
                             .values(status="delivered", updated_at=now))
            following = _claim_in(conn, runtime, event.case_id) if claim_next else None
    level = logging.INFO if outcome == "delivered" else logging.WARNING
    log.log(level, "event %s (%s, case %s #%s): %s%s", event.id, event.type, event.case_id, event.sequence,
            outcome, f" ({error})" if error else "")
    return following


@lru_cache(maxsize=None)
def _finish_statement(columns: tuple[str, ...], ticket: bool, claim_next: bool):
    """The outcome, the ticket's `delivered` and the claim of the case's next event as one PostgreSQL statement
    (data-modifying CTEs), built once per shape."""
    record = update(outbox).where(outbox.c.id == bindparam("b_event")).values(
        {c: bindparam(f"v_{c}", type_=outbox.c[c].type) for c in columns})
    if not ticket and not claim_next:
        return record
    parts = [record.returning(outbox.c.id).cte("recorded")]
    if ticket:
        parts.append(update(tickets).where(tickets.c.id == bindparam("b_ticket"), tickets.c.status == "in_case")
                     .values(status="delivered", updated_at=bindparam("b_now")).returning(tickets.c.id).cte("ticket"))
    if not claim_next:
        main = select(func.count()).select_from(parts[0])
        for cte in parts[1:]:
            main = main.add_cte(cte)
        return main
    # The case's next event as `_claim_in` takes it: the lowest pending sequence, only if due and not leased.
    # The subquery sees the table as the statement found it, where the event just recorded is still pending.
    later = outbox.alias("later")
    head = (select(later.c.id).where(later.c.case_id == bindparam("b_case"), later.c.status == "pending",
                                     later.c.id != bindparam("b_event"))
            .order_by(later.c.sequence).limit(1).scalar_subquery())
    claim = update(outbox).where(
        outbox.c.id == head, outbox.c.status == "pending", outbox.c.next_attempt_at <= bindparam("b_now"),
        or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < bindparam("b_now")),
    ).values(lease_until=bindparam("b_lease")).returning(*outbox.c)
    for cte in parts:
        claim = claim.add_cte(cte)
    return claim


def _finish_in_one(runtime: Runtime, event, values: dict, delivered: bool, claim_next: bool, now):
    """`_finish` on PostgreSQL: one statement in autocommit (its own transaction: one round trip, no BEGIN or
    COMMIT), all or nothing as the transaction it replaces."""
    ticket = delivered and event.ticket_id is not None
    shape = (tuple(sorted(values)), ticket, claim_next)
    # On the driver directly (gateway.raw_sql): SQLAlchemy's execution cost more client CPU than the statement.
    statement = raw_statement(runtime.engine, ("delivery.finish", shape), lambda: _finish_statement(*shape))
    params = {"b_event": event.id, "b_now": now, "b_ticket": event.ticket_id, "b_case": event.case_id,
              "b_lease": now + _lease(runtime), **{f"v_{c}": v for c, v in values.items()}}
    rows = statement.run({name: value for name, value in params.items() if name in statement.names})
    return rows[0] if claim_next and rows else None


def send_event(runtime: Runtime, event, client: CaseSystemClient | None = None) -> tuple[str, str | None]:
    """POST one event (over `client`, default a one-off one); returns (outcome, error text)."""
    settings = runtime.settings
    body = event.body.encode("utf-8")
    headers = signed_headers(settings.downstream_secret, event.id, body, runtime.clock().timestamp())
    headers["Content-Type"] = "application/json; charset=utf-8"
    cfg = settings.section("delivery")
    client = client or CaseSystemClient(settings.downstream_url, 1)
    try:
        status, text = client.post(body, headers, cfg.get("connect_timeout_seconds", 3),
                                   cfg.get("read_timeout_seconds", 10))
    except SEND_ERRORS as exc:
        # The URL is named (its query string redacted when stored and logged): the error alone may not say where.
        return "retry", f"{type(exc).__name__}: POST {settings.downstream_url}: {exc}"[:500]
    outcome = _outcome(status)
    return outcome, None if outcome == "delivered" else f"HTTP {status}: {text[:300]}"


def deliver_case(runtime: Runtime, case_id: int, max_events: int = 100) -> int:
    """Send the case's due events in sequence; returns how many were acknowledged."""
    if not runtime.settings.downstream_url:
        return 0  # no case system configured: the events wait in the outbox, due the moment one is
    return send_from(runtime, _claim_next(runtime, case_id), max_events)


def send_from(runtime: Runtime, event, max_events: int = 100, client: CaseSystemClient | None = None) -> int:
    """Send a claimed event, then its case's next ones while they are due; returns how many were acknowledged."""
    delivered = 0
    if event is not None and client is None:
        client = CaseSystemClient(runtime.settings.downstream_url, 1)
    for left in range(max_events - 1, -1, -1):
        if event is None:
            return delivered
        outcome, error = send_event(runtime, event, client)
        event = _finish(runtime, event, outcome, error, claim_next=left > 0)
        if outcome == "retry":
            return delivered
        delivered += outcome == "delivered"
    return delivered


@lru_cache(maxsize=None)
def _claim_statements():
    """`claim_heads`' three statements, built once: the dispatcher runs them every round, idle ones included
    (once a second per worker), and building the expressions cost more client CPU than running them."""
    now = bindparam("b_now", type_=outbox.c.next_attempt_at.type)
    free = or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now)
    due = (select(outbox.c.case_id).where(outbox.c.status == "pending", outbox.c.next_attempt_at <= now, free,
                                          outbox.c.case_id.notin_(bindparam("b_exclude", expanding=True)))
           .group_by(outbox.c.case_id).order_by(func.max(outbox.c.priority).desc(), func.min(outbox.c.next_attempt_at))
           .limit(bindparam("b_limit")))
    # Each case's lowest pending sequence, grouped once: a subquery correlated per pending row cost
    # (pending events of a case)² and, with a backlog of busy cases, outlived the statement deadline on
    # every round, so nothing was delivered at all (bench run of 2026-12-07 01:50).
    head = (select(outbox.c.case_id, func.min(outbox.c.sequence).label("sequence"))
            .where(outbox.c.case_id.in_(bindparam("b_cases", expanding=True)), outbox.c.status == "pending")
            .group_by(outbox.c.case_id).subquery("head"))
    heads = select(outbox.c.id).join(head, and_(outbox.c.case_id == head.c.case_id,
                                                outbox.c.sequence == head.c.sequence))
    # The lease re-checks the row itself: another worker may have sent or leased a head meanwhile.
    lease = (update(outbox).where(outbox.c.id.in_(bindparam("b_heads", expanding=True)), outbox.c.status == "pending",
                                  outbox.c.next_attempt_at <= now, free)
             .values(lease_until=bindparam("b_lease", type_=outbox.c.lease_until.type)).returning(*outbox.c))
    return due, heads, lease


def claim_heads(runtime: Runtime, limit: int, exclude=()) -> list:
    """Lease the next event of up to `limit` cases whose next event is due (none of `exclude`), urgent cases
    first, in one transaction; returns the leased events. Only a case's lowest pending sequence is ever claimed."""
    now = runtime.clock()
    due, heads, lease = _claim_statements()
    with runtime.engine.begin() as conn:
        case_ids = list(conn.execute(due, {"b_now": now, "b_exclude": list(exclude), "b_limit": limit}).scalars())
        if not case_ids:
            return []
        head_ids = list(conn.execute(heads, {"b_cases": case_ids}).scalars())
        return conn.execute(lease, {"b_heads": head_ids, "b_now": now, "b_lease": now + _lease(runtime)}).all()


def due_cases(runtime: Runtime, limit: int = 500) -> list[tuple[int, bool]]:
    """Cases whose next event is due and not leased: (case id, urgent), urgent first."""
    now = runtime.clock()
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.case_id, outbox.c.priority).where(
                outbox.c.status == "pending", outbox.c.next_attempt_at <= now,
                or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now))
            .order_by(outbox.c.priority.desc(), outbox.c.next_attempt_at).limit(limit)).all()
    return list({row.case_id: bool(row.priority) for row in rows}.items())


def replay_dead(runtime: Runtime, event_ids: list[str] | None = None) -> int:
    """Put dead-lettered events back in line (all, or the ones named); returns how many."""
    condition = outbox.c.status == "dead"
    if event_ids:
        condition = and_(condition, outbox.c.id.in_(event_ids))
    with runtime.engine.begin() as conn:
        case_ids = [r.case_id for r in conn.execute(select(outbox.c.case_id).where(condition).distinct())]
        count = conn.execute(update(outbox).where(condition).values(
            status="pending", attempts=0, first_failed_at=None, dead_at=None, lease_until=None,
            next_attempt_at=runtime.clock())).rowcount
    for case_id in case_ids:
        runtime.queue.enqueue("deliver_case", case_id)
    return count


def unpark(runtime: Runtime) -> int:
    """Make events that were put off only because no case system was configured due now (an older version
    postponed them by 30 s at a time, so they trickled out in bursts once `DOWNSTREAM_URL` was set)."""
    now = runtime.clock()
    with runtime.engine.begin() as conn:
        return conn.execute(update(outbox).where(
            outbox.c.status == "pending", outbox.c.attempts == 0, outbox.c.next_attempt_at > now)
            .values(next_attempt_at=now)).rowcount


class Dispatcher:
    """Sends the due events of many cases at once: a bounded pool of sender threads, one case per thread at a
    time (so each case's events still go one after the other, in sequence), over one pool of kept-alive
    connections (`CaseSystemClient`)."""

    def __init__(self, runtime: Runtime, concurrency: int | None = None):
        self.runtime = runtime
        self.concurrency = concurrency or int(runtime.settings.section("delivery").get("concurrency",
                                                                                        DEFAULT_CONCURRENCY))
        self.client = CaseSystemClient(runtime.settings.downstream_url, self.concurrency)
        self.pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="deliver")
        self.busy: set[int] = set()
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.sent = 0
        if runtime.settings.downstream_url:
            unpark(runtime)

    def dispatch(self, limit: int = 500) -> int:
        """Lease the next event of every due case that no sender here holds (one transaction) and hand each to
        the pool, which sends it and the case's following ones; returns how many cases were handed out."""
        if not self.runtime.settings.downstream_url:
            return 0
        with self.lock:
            busy = set(self.busy)
        events = claim_heads(self.runtime, limit, exclude=busy)
        with self.lock:
            self.busy.update(event.case_id for event in events)
        for event in events:
            self.pool.submit(self._send_case, event)
        return len(events)

    def _send_case(self, event) -> None:
        try:
            sent = send_from(self.runtime, event, client=self.client)
        except Exception:  # one case's trouble (the store blinking) must not stop the others; its lease runs out
            log.exception("delivering case %s failed; it is tried again later", event.case_id)
            sent = 0
        with self.lock:
            self.busy.discard(event.case_id)
            self.sent += sent
            self.idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no case is being sent; False when `timeout` ran out first."""
        with self.lock:
            return self.idle.wait_for(lambda: not self.busy, timeout)

    def drain(self, rounds: int = 50) -> int:
        """Send everything due now, until nothing due is left (at most `rounds` looks); returns how many events
        were acknowledged."""
        before = self.sent
        for _ in range(rounds):
            handed = self.dispatch()
            self.wait_idle()
            if not handed:
                break
        return self.sent - before

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()
