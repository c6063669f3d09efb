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
from gateway.store import make_engine, migrate
from gateway.tables import utcnow
from normalizer.normalize import Normalizer

log = logging.getLogger(__name__)


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


def build_runtime(settings: Settings, *, run_migrations: bool = True) -> Runtime:
    """Connect to the store and the queue and load the models, once per process."""
    install_log_redaction(settings_secrets(settings))
    check_notify_profile(settings)
    if Path(settings.var_dir).is_dir():
        private_dir(settings.var_dir)   # an older version left it 0755
    if run_migrations:
        # Without the statement deadline: a migration (or waiting for another process's) may take a while.
        plain = make_engine(settings.database_url)
        migrate(plain)
        plain.dispose()
    engine = make_engine(settings.database_url, settings.section("store").get("deadline_seconds"))
    runtime = Runtime(settings=settings, engine=engine, queue=make_queue(settings),
                      normalizer=Normalizer(settings.profile), deduper=make_deduper(settings.profile),
                      limits=build_rate_limits(settings))
    return runtime


def install(runtime: Runtime) -> None:
    """Make `runtime` the one that RQ jobs in this process use."""
    global _current
    _current = runtime


def current() -> Runtime:
    """The runtime installed in this process (RQ jobs have no other way to receive it)."""
    if _current is None:
        raise RuntimeError("no gateway runtime installed in this process")
    return _current
