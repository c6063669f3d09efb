"""A lookup by a list of thousands of values (a batch's dedupe keys, its candidates' ids) reads the list once.

The shape it replaced, `col = ANY(CAST(:list AS bigint[]))`, is right on an index scan, but in a sequential scan
(the plan PostgreSQL takes for a small or not yet analyzed table) it parsed the whole list again for every row: a
worker's third batch of 100 long reports spent over 3 s in one such read and hit the statement deadline.
"""
from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import BigInteger, Column, LargeBinary, MetaData, Table, create_engine, insert, select, text

from gateway.bulk import any_of, pg_array
from gateway.dedupe_index import _by_ids

ROWS, LOOKED_UP = 3000, 8000


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _plan_nodes(child)


@pytest.fixture()
def postings(pg_database):
    engine = create_engine(pg_database)
    table = Table("lookup_probe", MetaData(), Column("key", BigInteger, primary_key=True), Column("ids", LargeBinary))
    table.create(engine)
    with engine.begin() as conn:
        # As a fresh store has it: no statistics yet, so the planner scans the table.
        conn.execute(text("ALTER TABLE lookup_probe SET (autovacuum_enabled = false)"))
        rng = random.Random(7)
        keys = rng.sample(range(-2 ** 61, 2 ** 61), ROWS + LOOKED_UP)
        conn.execute(insert(table), [{"key": k, "ids": b"\x00"} for k in keys[:ROWS]])
    wanted = keys[:ROWS // 3] + keys[ROWS:]  # a third of them stored, the rest not
    yield engine, table, wanted, set(keys[:ROWS // 3])
    table.drop(engine)
    engine.dispose()


@pytest.mark.parametrize("build", ["any_of", "by_ids"])
def test_a_long_list_is_parsed_once_whatever_the_plan(postings, build):
    engine, table, wanted, stored = postings
    with engine.connect() as conn:
        if build == "any_of":
            criterion, params = any_of(conn, table.c.key, wanted, "keys")
        else:
            criterion, params = _by_ids(True, table.c.key, "keys"), {"keys": pg_array(wanted)}
        statement = select(table.c.key).where(criterion)
        assert {row.key for row in conn.execute(statement, params)} == stored
        compiled = statement.compile(conn)
        plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.construct_params(params)
                                    ).scalar()
    nodes = list(_plan_nodes((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]))
    conditions = [n.get(k, "") for n in nodes for k in ("Filter", "Index Cond", "Recheck Cond", "Hash Cond")]
    # The list is unnested (once, as a set the join reads), and no row is tested against an array expression.
    assert any("unnest(" in json.dumps(n) for n in nodes)
    assert not any("ANY (" in c for c in conditions), [n["Node Type"] for n in nodes]


def test_sqlite_takes_a_plain_in_list(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    table = Table("lookup_probe", MetaData(), Column("key", BigInteger, primary_key=True))
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"key": k} for k in range(10)])
        criterion, params = any_of(conn, table.c.key, [3, 4, 99], "keys")
        assert params == {} and sorted(conn.execute(select(table.c.key).where(criterion)).scalars()) == [3, 4]
    engine.dispose()
