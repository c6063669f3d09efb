"""A worker's connection pool holds every thread that uses it at once (delivery senders and the other loops):
a pool smaller than that opened and closed a PostgreSQL connection for each use beyond it."""
from __future__ import annotations

from config import load_settings
from gateway.runtime import POOL_SPARE, worker_pool_size
from gateway.store import make_engine


def settings_with(concurrency: int | None):
    profile = {"delivery": {"concurrency": concurrency}} if concurrency else {}
    return load_settings(environ={}, dotenv_path=None, overrides={"profile": profile})


def test_the_pool_keeps_a_connection_for_each_sender_and_the_other_loops():
    for concurrency in (None, 16, 40):
        settings = settings_with(concurrency)
        senders = int(settings.section("delivery").get("concurrency"))
        size = worker_pool_size(settings)
        assert size >= senders + POOL_SPARE
        engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_size=size)
        assert engine.pool.size() == size  # kept open once opened, not closed after each use
        engine.dispose()
