"""Deleting attachment files no ticket references, once a grace period has passed.

Two kinds of orphans: an upload the app never used in a report, and a file written while the database was down
(the file is written before its row, so a failed insert leaves it behind). The sweep marks the files it finds
referenced (`claimed_at`), so each run only reads the tickets touched since the oldest unclaimed upload.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update

from gateway.runtime import Runtime
from gateway.tables import attachments, tickets

log = logging.getLogger(__name__)
LOCK = "gateway:attachment-sweep"
_last_run: dict[int, float] = {}
_last_lock = threading.Lock()


def _grace(runtime: Runtime) -> timedelta:
    return timedelta(hours=float(runtime.settings.section("limits").get("orphan_grace_hours", 24)))


def _referenced(runtime: Runtime, since: datetime) -> set[str]:
    """Attachment ids and tokens named by tickets written since `since`."""
    found: set[str] = set()
    with runtime.engine.connect() as conn:
        rows = conn.execution_options(yield_per=500).execute(
            select(tickets.c.data).where(tickets.c.updated_at >= since))
        for (data,) in rows:
            for item in (data or {}).get("attachments") or []:
                if item.get("id"):
                    found.add(item["id"])
                url = item.get("url") or ""
                if "/attachments/" in url:
                    found.add(url.rsplit("/", 1)[-1])
    return found


def _unlink(path) -> bool:
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


def sweep_orphan_attachments(runtime: Runtime, limit: int = 1000) -> int:
    """Delete unreferenced attachment files (and their rows) older than the grace period; returns how many."""
    now = runtime.clock()
    cutoff = now - _grace(runtime)
    folder = runtime.settings.attachments_dir
    deleted = 0
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(attachments.c.id, attachments.c.token, attachments.c.path,
                                   attachments.c.created_at)
                            .where(attachments.c.claimed_at.is_(None), attachments.c.created_at <= cutoff)
                            .order_by(attachments.c.created_at).limit(limit)).all()
    if rows:
        referenced = _referenced(runtime, rows[0].created_at)
        claimed = [r.id for r in rows if r.id in referenced or r.token in referenced]
        orphans = [r for r in rows if r.id not in referenced and r.token not in referenced]
        with runtime.engine.begin() as conn:
            if claimed:
                conn.execute(update(attachments).where(attachments.c.id.in_(claimed)).values(claimed_at=now))
            if orphans:
                conn.execute(delete(attachments).where(attachments.c.id.in_([r.id for r in orphans]),
                                                       attachments.c.claimed_at.is_(None)))
        # Rows first, then files: a crash between leaves a file without a row, which step two removes next time.
        deleted += sum(_unlink(folder / r.path) for r in orphans)
    deleted += _sweep_files_without_rows(runtime, folder, cutoff)
    if deleted:
        log.info("attachment sweep deleted %d unreferenced files", deleted)
    return deleted


def _sweep_files_without_rows(runtime: Runtime, folder, cutoff: datetime) -> int:
    if not folder.is_dir():
        return 0
    limit = cutoff.timestamp()
    old = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime <= limit:
                old[entry.name] = entry.path
    if not old:
        return 0
    names = list(old)
    known: set[str] = set()
    with runtime.engine.connect() as conn:
        for start in range(0, len(names), 500):
            known.update(conn.execute(select(attachments.c.path)
                                      .where(attachments.c.path.in_(names[start:start + 500]))).scalars())
    return sum(_unlink(path) for name, path in old.items() if name not in known)


def maybe_sweep_orphans(runtime: Runtime, redis=None) -> int:
    """Run the sweep at most once per `[limits] orphan_sweep_minutes` (default 60) in this process, and, with
    Redis, once per interval across all workers."""
    interval = float(runtime.settings.section("limits").get("orphan_sweep_minutes", 60)) * 60
    with _last_lock:
        if time.monotonic() - _last_run.get(id(runtime), -interval) < interval:
            return 0
        _last_run[id(runtime)] = time.monotonic()
    if redis is not None and not redis.set(LOCK, datetime.now(timezone.utc).isoformat(), nx=True,
                                           ex=max(1, int(interval))):
        return 0
    return sweep_orphan_attachments(runtime)
