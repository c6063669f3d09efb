"""Pipeline stages 1 and 2 a batch at a time: claim ready tickets, normalize them, link their citizens, dedupe
them into cases and write it all with one statement per table and one commit.

A batch is claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers never wait for each other's tickets;
on SQLite the one writer at a time (BEGIN IMMEDIATE) does the same. The claim, the work and the outcome are one
transaction: a worker killed mid-batch leaves its tickets as they were, ready for the next claim.

A batch that fails is retried ticket by ticket, so one ticket that keeps failing (a bug meeting odd data) is found,
logged and set aside with a growing backoff (`tickets.pipeline_retry_at`) while the others go on.
"""
from __future__ import annotations

import logging
import weakref
from datetime import timedelta

from sqlalchemy import event, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import ExecuteStyle
from sqlalchemy.exc import OperationalError

from gateway.casework import Placed, assign_cases, key_reports, within_lock_budget
from gateway.citizen_links import CitizenContended, link_citizens
from gateway.dedupe_index import sync_frequencies
from gateway.runtime import Runtime
from gateway.tables import tickets
from normalizer.ticket import ticket_from_dict

log = logging.getLogger(__name__)

READY = ("received", "normalized")
DEFAULT_BATCH = 100
# Dedupe locks one batch may hold (PostgreSQL): see gateway.casework.within_lock_budget and docs/operations.md.
DEFAULT_LOCK_BUDGET = 2000
# Deadlock detected, serialization failure, a lock wait that ran out (`[pipeline] lock_wait_ms`, another batch
# holding the same dedupe keys): run the batch again.
RETRY_STATES = ("40P01", "40001", "55P03")
BACKOFF_BASE, BACKOFF_MAX = 5, 600   # seconds: a failing ticket is tried again after 5 s, 10 s, … 10 minutes


_COUNTED: "weakref.WeakSet[Engine]" = weakref.WeakSet()
COUNT_KEY = "pipeline_statements"


def _count_statements(engine: Engine) -> None:
    """Count the statements a batch sends (in its connection's info), so operations see what a ticket costs."""
    if engine in _COUNTED:
        return
    _COUNTED.add(engine)

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        count = conn.info.get(COUNT_KEY)
        if count is not None:
            # A driver-level executemany sends one statement per row; SQLAlchemy's "insertmanyvalues" sends one.
            one = not executemany or context.execute_style is ExecuteStyle.INSERTMANYVALUES
            conn.info[COUNT_KEY] = count + (1 if one else len(parameters))


def batch_size(runtime: Runtime) -> int:
    return int(runtime.settings.section("pipeline").get("batch_size", DEFAULT_BATCH))


def process_batch(runtime: Runtime, limit: int | None = None, ids: list[int] | None = None) -> list[Placed]:
    """Carry up to `limit` ready tickets (or the ready ones of `ids`) into cases; returns where they went.

    Never raises for one bad ticket: it is retried alone and set aside with a backoff. Raises when the store
    itself is away (the caller waits and comes back).
    """
    claimed: list[int] = []
    waited: OperationalError | None = None
    for _ in range(3):
        try:
            return _run(runtime, limit or batch_size(runtime), ids, claimed)
        except CitizenContended:
            claimed.clear()  # another worker just recorded one of our citizens: the next run sees it
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) in RETRY_STATES:
                # Two batches met on the same cases (in opposite order, or one held them past the lock wait): this
                # one gave way, nothing was written; again.
                claimed.clear()
                waited = exc if exc.orig.sqlstate == "55P03" else None
                continue
            raise  # the store is away: nothing to blame a ticket for
        except Exception:
            if len(claimed) <= 1:
                _set_aside(runtime, claimed)
                return []
            log.exception("a batch of %d tickets failed; retrying them one by one", len(claimed))
            placed: list[Placed] = []
            for ticket_id in claimed:
                placed += process_batch(runtime, 1, [ticket_id])
            return placed
    if waited is not None:
        raise waited  # the keys stayed locked through every try: the caller waits a moment and comes back
    return []


def _run(runtime: Runtime, limit: int, ids: list[int] | None, claimed: list[int]) -> list[Placed]:
    now = runtime.clock()
    query = select(tickets).where(tickets.c.status.in_(READY))
    if ids is not None:
        query = query.where(tickets.c.id.in_(ids))
    else:
        query = query.where(or_(tickets.c.pipeline_retry_at.is_(None), tickets.c.pipeline_retry_at <= now))
    query = query.order_by(tickets.c.priority.desc(), tickets.c.id).limit(limit)
    region = runtime.settings.section("city").get("phone_region", "CN")
    sync_frequencies(runtime.engine, runtime.deduper)  # dedupe's bigram frequencies: read once, then batches
    _count_statements(runtime.engine)
    with runtime.engine.begin() as conn:
        conn.info[COUNT_KEY] = 0
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = conn.execute(query).all()
        if not rows:
            conn.info.pop(COUNT_KEY, None)
            return []
        claimed[:] = [row.id for row in rows]
        batch, fresh = [], []
        for row in rows:
            ticket = ticket_from_dict(row.data)
            if row.status == "received":
                ticket.normalized = runtime.normalizer.normalize(ticket)
                ticket.status = "normalized"
                fresh.append((row.id, ticket))
                urgent = ticket.normalized.get("priority") == "urgent"
            else:
                urgent = row.priority == "urgent"
            batch.append((row, ticket, urgent))
        citizens = [ticket.citizen for _, ticket, _ in batch]
        keyed = key_reports(runtime.deduper, [ticket for _, ticket, _ in batch])
        if conn.dialect.name == "postgresql":
            fits = within_lock_budget(keyed, int(runtime.settings.section("pipeline").get("max_batch_locks",
                                                                                        DEFAULT_LOCK_BUDGET)))
            if fits < len(batch):
                # The rest stays ready for the next claim: nothing of it is written in this transaction.
                batch, keyed = batch[:fits], keyed[:fits]
                kept = {row.id for row, _, _ in batch}
                fresh = [(ticket_id, ticket) for ticket_id, ticket in fresh if ticket_id in kept]
                claimed[:] = [row.id for row, _, _ in batch]
        link_citizens(conn, fresh, now, region)
        # Linking names the citizen of a call without one (its number): fingerprints carry the citizen (the
        # evidence's same_citizen; the exact-repeat engine's keys), so such a report is keyed again.
        for at, ((_, ticket, _), before) in enumerate(zip(batch, citizens)):
            if ticket.citizen != before:
                keyed[at] = key_reports(runtime.deduper, [ticket])[0]
        placed = assign_cases(conn, runtime, batch, keyed)
        statements = conn.info.pop(COUNT_KEY, 0) + 2  # and BEGIN, COMMIT (the driver sends those itself)
    sync_frequencies(runtime.engine, runtime.deduper)
    runtime.queue.wake("deliveries", urgent=any(p.urgent for p in placed))
    runtime.queue.count_batch(len(placed), statements)
    return placed


def _set_aside(runtime: Runtime, claimed: list[int]) -> None:
    """Log the failing ticket and keep it out of the claims for a while, longer each time."""
    if not claimed:
        log.exception("the pipeline failed before claiming a ticket")
        return
    ticket_id = claimed[0]
    with runtime.engine.begin() as conn:
        failures = (conn.execute(select(tickets.c.pipeline_failures).where(tickets.c.id == ticket_id)).scalar()
                    or 0) + 1
        delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (failures - 1))
        conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(
            pipeline_failures=failures, pipeline_retry_at=runtime.clock() + timedelta(seconds=delay)))
    log.exception("ticket %s failed in the pipeline (%d times); tried again in %d s", ticket_id, failures, delay)
