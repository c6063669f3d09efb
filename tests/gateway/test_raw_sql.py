"""The hot paths' statements on the driver directly (gateway.raw_sql): the same values, defaults, transactions,
errors and deadline as through SQLAlchemy's execution."""
from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from gateway.raw_sql import RawStatement, raw_statement
from gateway.store import make_engine
from gateway.tables import tickets

REPORT = {"text": "汉阳区钟家村小区门口路灯坏了三天，晚上很黑", "contact": {"phone": "13800138000", "user_id": "u-7"}}


@pytest.fixture
def pg_gateway(gateway):
    if gateway.runtime.engine.dialect.name != "postgresql":
        pytest.skip("the raw path is PostgreSQL's")
    return gateway


def test_the_intake_insert_stores_what_sqlalchemy_would_column_defaults_included(pg_gateway):
    answer = pg_gateway.post_app(REPORT, idem="raw-1")
    assert answer.status_code == 201
    with pg_gateway.runtime.engine.connect() as conn:
        row = conn.execute(select(tickets).where(tickets.c.reference == answer.json["reference"])).one()
    # `pipeline_failures` has only a Python-side default (0): SQLAlchemy's execution filled it in, the raw path must.
    assert row.pipeline_failures == 0 and row.status == "received" and row.data["text"] == REPORT["text"]
    assert row.received_at.utcoffset().total_seconds() == 0
    repeat = pg_gateway.post_app(REPORT, idem="raw-1")
    assert repeat.status_code == 200 and repeat.json == answer.json


def test_a_raw_statement_leaves_its_pooled_connection_beginning_transactions_again(pg_database):
    engine = make_engine(pg_database, pool_size=1)   # one connection: the next check-out gets the same one
    try:
        probe = raw_statement(engine, "test.probe", lambda: select(bindparam("n", type_=Integer) + 1))
        assert probe.run({"n": 41})[0][0] == 42
        # Back in transactional mode: a rollback undoes (in autocommit the table would stay).
        with engine.connect() as conn:
            with conn.begin() as tx:
                conn.execute(text("CREATE TEMPORARY TABLE raw_probe (n int)"))
                tx.rollback()
            with pytest.raises(DBAPIError):
                conn.execute(text("SELECT * FROM raw_probe"))
    finally:
        engine.dispose()


def test_errors_are_sqlalchemys_and_a_unique_violation_is_an_integrity_error(pg_gateway):
    engine = pg_gateway.runtime.engine
    statement = RawStatement(text("SELECT 1/0"), engine)
    with pytest.raises(DBAPIError) as raised:
        statement.run({})
    assert not raised.value.connection_invalidated
    assert pg_gateway.post_app(REPORT, idem="raw-2").status_code == 201
    with engine.connect() as conn:
        reference = conn.execute(select(tickets.c.reference)).scalar()
    twin = RawStatement(insert(tickets).values(reference=bindparam("r"), channel="app", source="app", status="received",
                                                received_at=text("now()"), created_at=text("now()"),
                                                updated_at=text("now()"), priority="normal", data={}), engine)
    with pytest.raises(IntegrityError):
        twin.run({"r": reference})


def test_a_raw_statement_is_bound_by_the_store_deadline(pg_database):
    engine = make_engine(pg_database, deadline_seconds=1)
    try:
        with pytest.raises(DBAPIError) as raised:
            RawStatement(text("SELECT pg_sleep(20)"), engine).run({})
        assert raised.value.connection_invalidated  # the watchdog shut its socket: the pool drops it
    finally:
        engine.dispose()


def test_a_callable_column_default_is_refused_rather_than_left_out(pg_database):
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("s", String, default=lambda: "x"))
    engine = make_engine(pg_database)
    try:
        with pytest.raises(ValueError):
            RawStatement(insert(table).values(id=bindparam("id")), engine)
    finally:
        engine.dispose()
