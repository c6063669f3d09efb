"""Fixtures for the durability tests: real processes, a private Redis per module, a fresh PostgreSQL database."""
from __future__ import annotations

import pytest

from gateway.store import make_engine
from tests.harness.gateway import DOWNSTREAM_SECRET
from tests.harness.services import create_pg_database, drop_pg_database
from tests.durability.support import Processes, RedisServer, WatchedCaseSystem, write_profile


def pytest_configure(config):
    config.addinivalue_line("markers", "durability: kills and restarts real processes (gateway, worker, Redis, "
                                       "the database connection); select with -m durability")


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A redis-server of this module's own, on a free port, that its tests may stop and start again."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def redis_url(redis_server):
    """The private Redis, running and empty."""
    if redis_server.proc is None:
        redis_server.start()
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test (the gateway processes migrate it), dropped afterwards."""
    url, name = create_pg_database()
    yield url
    drop_pg_database(name)


@pytest.fixture
def engine_for():
    """Engines the test opens to look at a store directly; disposed at the end."""
    engines = []

    def make(url: str):
        engine = make_engine(url)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def procs(tmp_path, request):
    """Gateway servers and workers of this test; all stopped at its end, their logs printed when it failed.

    Request it last, so that it is set up last and torn down first: the processes stop before their
    database is dropped and before Redis and the case system go away.
    """
    processes = Processes(tmp_path)
    yield processes
    processes.stop_all()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(processes.logs())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.when == "call":
        item.rep_call = rep
    return rep


@pytest.fixture
def case_system():
    with WatchedCaseSystem(DOWNSTREAM_SECRET) as cs:
        yield cs


@pytest.fixture
def profile(tmp_path):
    return write_profile(tmp_path)
