"""Fixtures: the store on SQLite and on real PostgreSQL, a gateway on it, the fake case system."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from gateway.tables import metadata
from tests.harness.case_system import CaseSystem
from tests.harness.gateway import DOWNSTREAM_SECRET, make_gateway
from tests.harness.services import create_pg_database, drop_pg_database


@pytest.fixture(scope="session")
def pg_database():
    url, name = create_pg_database()
    yield url
    drop_pg_database(name)


def _truncate(url: str) -> None:
    from gateway.store import make_engine, migrate
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A clean store: a new SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    url = request.getfixturevalue("pg_database")
    _truncate(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'gateway.db'}"


@pytest.fixture
def case_system():
    with CaseSystem(DOWNSTREAM_SECRET) as cs:
        yield cs


@pytest.fixture
def gateway(database_url, tmp_path, case_system):
    """A gateway on each store, delivering to the fake case system."""
    gw = make_gateway(database_url, tmp_path, DOWNSTREAM_URL=case_system.url,
                      profile={"delivery": {"backoff_base_seconds": 0, "backoff_max_seconds": 0}})
    yield gw
    gw.runtime.engine.dispose()


@pytest.fixture
def sqlite_gateway(sqlite_url, tmp_path, case_system):
    """A gateway on SQLite only (for input checks that do not depend on the store)."""
    gw = make_gateway(sqlite_url, tmp_path, DOWNSTREAM_URL=case_system.url,
                      profile={"delivery": {"backoff_base_seconds": 0, "backoff_max_seconds": 0}})
    yield gw
    gw.runtime.engine.dispose()
