"""What the jobs and the web app share in one process: settings, store, queue, normalizer, deduper."""
from __future__ import annotations

import logging
from pathlib import Path
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

import requests
from sqlalchemy.engine import Engine

from config import Settings
from dedupe import make_deduper
from gateway.notice_config import check_notify_profile
from gateway.rate_limits import build_rate_limits
from gateway.redaction import install_log_redaction, settings_secrets
from gateway.private_files import private_dir
from gateway.queue import EmbeddedQueue, RedisQueue, make_queue
from gateway.store import DEFAULT_POOL_SIZE, make_engine, migrate
from gateway.tables import utcnow
from normalizer.normalize import Normalizer

log = logging.getLogger(__name__)
# Beside the delivery senders, a worker's ticket loop, dispatcher, sweeper and RQ jobs each hold a connection.
POOL_SPARE = 4
DELIVERY_CONCURRENCY = 16   # delivery senders a worker runs unless [delivery] concurrency says otherwise


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    queue: EmbeddedQueue | RedisQueue
    normalizer: Any
    deduper: Any
    http: requests.Session = field(default_factory=requests.Session)
    clock: Callable[[], datetime] = utcnow
    limits: Any = None      # gateway.rate_limits.RateLimits


_current: Runtime | None = None


def build_runtime(settings: Settings, *, run_migrations: bool = True, pool_size: int = DEFAULT_POOL_SIZE) -> Runtime:
    """Connect to the store and the queue and load the models, once per process (`pool_size`: database
    connections kept open, see `worker_pool_size`)."""
    install_log_redaction(settings_secrets(settings))
    check_notify_profile(settings)
    if Path(settings.var_dir).is_dir():
        private_dir(settings.var_dir)   # an older version left it 0755
    if run_migrations:
        # Without the statement deadline: a migration (or waiting for another process's) may take a while.
        plain = make_engine(settings.database_url)
        migrate(plain)
        plain.dispose()
    engine = make_engine(settings.database_url, settings.section("store").get("deadline_seconds"),
                         pool_size=pool_size)
    runtime = Runtime(settings=settings, engine=engine, queue=make_queue(settings),
                      normalizer=Normalizer(settings.profile), deduper=make_deduper(settings.profile),
                      limits=build_rate_limits(settings))
    return runtime


def worker_pool_size(settings: Settings) -> int:
    """Database connections a pipeline worker keeps open: one for each delivery sender and its other loops.

    A pool smaller than the threads that use it at once opens a connection (a PostgreSQL backend forked, its
    priority lowered) for each use beyond it and closes it after: two workers opened 95–248 of them while
    carrying 2,000 tickets (bench/worker_cpu.py), 4–33 with this. A web process keeps the default: its threads are
    fewer.
    """
    senders = int(settings.section("delivery").get("concurrency", DELIVERY_CONCURRENCY))
    return max(DEFAULT_POOL_SIZE, senders + POOL_SPARE)


def install(runtime: Runtime) -> None:
    """Make `runtime` the one that RQ jobs in this process use."""
    global _current
    _current = runtime


def current() -> Runtime:
    """The runtime installed in this process (RQ jobs have no other way to receive it)."""
    if _current is None:
        raise RuntimeError("no gateway runtime installed in this process")
    return _current
