"""A batch's dedupe locks stay within `[pipeline] max_batch_locks`, so workers never fill PostgreSQL's shared lock
table (every advisory lock of every session lives there: about 12,000 entries on a default install, and a batch
of 100 long reports takes about 4,000)."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

import gateway.casework as casework
from gateway.pipeline import process_batch
from gateway.tables import outbox, tickets
from tests.harness.gateway import make_gateway

# Long reports that share nothing: each has rare bigrams of its own, so ~60-70 dedupe keys (made up of characters
# of the common CJK block at random).


def _long_reports(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(chr(rng.randrange(0x4E00, 0x9FA6)) for _ in range(240)) for _ in range(count)]


def _post(gateway, texts: list[str]) -> None:
    for i, report in enumerate(texts):
        assert gateway.post_app({"text": report, "contact": {"user_id": f"lock-{i}"}}).status_code == 201


@pytest.fixture
def pg_gateway(pg_database, tmp_path, case_system):
    from tests.conftest import _truncate
    _truncate(pg_database)

    def build(budget: int):
        return make_gateway(pg_database, tmp_path, DOWNSTREAM_URL=case_system.url,
                            profile={"pipeline": {"max_batch_locks": budget}, "hot": {"levels": [1000]}})
    built = []
    yield lambda budget: built.append(build(budget)) or built[-1]
    for gw in built:
        gw.runtime.engine.dispose()


def test_a_batch_holds_no_more_dedupe_locks_than_its_budget_and_leaves_the_rest_ready(pg_gateway, monkeypatch):
    gateway = pg_gateway(300)
    _post(gateway, _long_reports(12, seed=1))
    held: list[int] = []
    lock_all_keys = casework.lock_all_keys

    def counted(conn, keys, wait_ms):
        lock_all_keys(conn, keys, wait_ms)
        # What PostgreSQL holds for this transaction, read from its lock table.
        held.append(conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                      "AND pid = pg_backend_pid()")).scalar())

    monkeypatch.setattr(casework, "lock_all_keys", counted)
    first = process_batch(gateway.runtime, 100)
    assert 1 < len(first) < 12          # cut by the budget, not by the claim
    placed = len(first)
    while batch := process_batch(gateway.runtime, 100):
        placed += len(batch)
    assert placed == 12
    assert all(count <= 300 for count in held) and len(held) > 1
    gateway.drain()
    with gateway.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tickets).where(tickets.c.case_id.is_not(None))).scalar() == 12
        # Each report's case opened once: none was decided twice across the cut.
        assert conn.execute(select(func.count()).select_from(outbox)).scalar() == 12


def test_one_report_with_more_keys_than_the_budget_still_goes_through(pg_gateway):
    gateway = pg_gateway(5)
    _post(gateway, _long_reports(3, seed=2))
    assert [len(process_batch(gateway.runtime, 100)) for _ in range(4)] == [1, 1, 1, 0]


def test_workers_that_nearly_fill_the_lock_table_leave_a_budgeted_batch_room(pg_gateway, pg_database):
    """The incident: other workers' batches hold most of PostgreSQL's lock table. A batch of 100 long reports
    asked for its ~6,000 locks at once and failed with "out of shared memory"; in budgeted batches it goes through."""
    holder = create_engine(pg_database)
    with holder.connect() as conn:
        # Session locks (two-int keys: never a dedupe key), taken 250 at a time until the table is full, then
        # 2,600 given back: what is left free is about one budgeted batch's worth.
        taken = 0
        while True:
            conn.execute(text("SAVEPOINT chunk"))
            try:
                conn.execute(text("SELECT count(pg_advisory_lock(7357, n)) FROM generate_series(CAST(:a AS int), CAST(:b AS int)) n"),
                             {"a": taken, "b": taken + 249})
            except OperationalError:
                conn.execute(text("ROLLBACK TO SAVEPOINT chunk"))
                break
            conn.execute(text("RELEASE SAVEPOINT chunk"))
            taken += 250
        conn.execute(text("SELECT count(pg_advisory_unlock(7357, n)) FROM generate_series(CAST(:a AS int), CAST(:b AS int)) n"),
                     {"a": taken - 2600, "b": taken - 1})
        conn.commit()
        try:
            unbudgeted = pg_gateway(1_000_000)
            _post(unbudgeted, _long_reports(100, seed=3))
            with pytest.raises(OperationalError, match="shared memory"):
                process_batch(unbudgeted.runtime, 100)
            budgeted = pg_gateway(2000)
            placed = 0
            while batch := process_batch(budgeted.runtime, 100):
                placed += len(batch)
            assert placed == 100
        finally:
            conn.execute(text("SELECT pg_advisory_unlock_all()"))
            conn.commit()
    holder.dispose()
