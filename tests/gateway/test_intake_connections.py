"""The acknowledgement's database connection: a pooled connection used a moment ago is not pinged before use
(gateway.store_deadline), so one that died in that moment must still cost the caller nothing (gateway.intake)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from gateway.tables import submissions, tickets

REPORT = {"text": "汉阳区钟家村小区门口路灯坏了三天，晚上很黑", "contact": {"phone": "13800138000", "user_id": "u-7"}}


def counts(gw) -> tuple[int, int]:
    with gw.runtime.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(tickets)).scalar(),
                conn.execute(select(func.count()).select_from(submissions)).scalar())


def kill_other_backends(url: str) -> int:
    """Terminate every other session on this database (as a PostgreSQL restart would); how many."""
    admin = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    return killed


def test_a_pooled_connection_killed_between_two_reports_costs_the_caller_nothing(gateway):
    if gateway.runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connections to lose")
    assert gateway.post_app(REPORT, idem="before").status_code == 201
    assert kill_other_backends(gateway.runtime.engine.url.render_as_string(hide_password=False)) >= 1
    # Within the pool's no-ping window: the statement meets the dead connection and the intake tries once more.
    after = gateway.post_app(REPORT, idem="after")
    assert after.status_code == 201, after.json
    assert counts(gateway) == (2, 2)
    again = gateway.post_app(REPORT, idem="after")
    assert again.status_code == 200 and again.json == after.json
    assert counts(gateway) == (2, 2)


def test_a_connection_that_sat_idle_is_pinged_and_still_takes_the_next_report(gateway, monkeypatch):
    import time

    from gateway import store_deadline

    # Idle past the no-ping window, the pooled connection is pinged on checkout; the ping's own transaction must
    # not be left open (the intake then runs its one INSERT in autocommit; before the fix this was a 500).
    monkeypatch.setattr(store_deadline, "PING_IDLE_SECONDS", 0.05)
    assert gateway.post_app(REPORT, idem="first").status_code == 201
    time.sleep(0.2)
    second = gateway.post_app(REPORT, idem="second")
    assert second.status_code == 201, second.json
    assert counts(gateway) == (2, 2)
