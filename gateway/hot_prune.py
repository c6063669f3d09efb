"""Old hot counts pruned: bucket rows past the longest window and the window before it serve no read.

The 7d list compares the last 7 days with the 7 before (`reports_before`), so counts are kept 15 days (a day of
margin); older minute, hour and day rows of cases and groups, and term groups' old case lists, are deleted.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from sqlalchemy import delete

from gateway import hot
from gateway.runtime import Runtime
from gateway.tables import hot_buckets, hot_group_cases, hot_group_counts

KEEP_SECONDS = 15 * hot.DAY
INTERVAL_SECONDS = 3600
LOCK = "gateway:hot-prune"
_last_run: dict[int, float] = {}
_last_lock = threading.Lock()


def prune_hot_counts(runtime: Runtime, now: datetime | None = None) -> int:
    """Delete hot bucket rows older than `KEEP_SECONDS` before `now`; returns how many rows went."""
    cutoff = hot.epoch(now or runtime.clock()) - KEEP_SECONDS
    with runtime.engine.begin() as conn:
        gone = conn.execute(delete(hot_buckets).where(hot_buckets.c.bucket < cutoff)).rowcount
        gone += conn.execute(delete(hot_group_counts).where(hot_group_counts.c.bucket < cutoff)).rowcount
        gone += conn.execute(delete(hot_group_cases).where(
            hot_group_cases.c.opened_at < hot.utc_from_epoch(cutoff))).rowcount
    return gone


def maybe_prune_hot(runtime: Runtime, redis=None) -> int:
    """Prune at most once an hour in this process, and, with Redis, once an hour across all workers."""
    with _last_lock:
        if time.monotonic() - _last_run.get(id(runtime), -INTERVAL_SECONDS) < INTERVAL_SECONDS:
            return 0
        _last_run[id(runtime)] = time.monotonic()
    if redis is not None and not redis.set(LOCK, datetime.now(timezone.utc).isoformat(), nx=True,
                                           ex=INTERVAL_SECONDS):
        return 0
    return prune_hot_counts(runtime)
