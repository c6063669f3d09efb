"""Many rows in one statement: the pipeline writes a whole batch per table, not a statement per ticket.

On PostgreSQL a batch's rows travel as one JSON parameter, unpacked by the server (`jsonb_to_recordset`): one
`json.dumps` in C instead of psycopg adapting thousands of scalar parameters (or array elements) one by one in
Python, which was about a fifth of a worker's CPU (py-spy, 2026-12-07); a column that is JSON itself (a ticket's
`data`, a link's `evidence`) is serialized once, inside the batch, never as text inside text. The statement's
text is the same for every batch, so it is compiled once. SQLite (one local writer, no network) keeps plain
executemany.
"""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import JSON, String, Table, Text, bindparam, cast, column, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection

from gateway.upsert import insert_for

ROWS = "bulk_rows"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")  # as gateway.tables.UtcDateTime refuses it
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_rows(rows: Iterable[Any]) -> str:
    """Rows (or any values) as the one JSON text a batch statement takes; aware datetimes as ISO 8601."""
    return json.dumps(rows if isinstance(rows, list) else list(rows), ensure_ascii=False, default=_encode,
                      allow_nan=False)


@lru_cache(maxsize=None)
def _source(table: Table, names: tuple[str, ...], verbatim: bool = False):
    """`jsonb_to_recordset(:bulk_rows) AS given(name type, …)`: the batch's rows as a table, typed as `table`.

    `verbatim` unpacks with `json_to_recordset`: a JSON column then keeps its value's text as sent (jsonb would
    reorder its keys and refuse a \\u0000 escape, which a plain JSON column takes)."""
    unpack = func.json_to_recordset(cast(bindparam(ROWS, type_=Text), JSON)) if verbatim else \
        func.jsonb_to_recordset(cast(bindparam(ROWS, type_=Text), JSONB))
    return (unpack
            .table_valued(*[column(n, _unbounded(table.c[n].type)) for n in names])
            .render_derived(name="given", with_types=True))


def _unbounded(type_):
    # A string too long for its column fails when stored, as it did as a parameter; typed varchar(n) here, the
    # record would be cut to length without a word.
    return Text() if isinstance(type_, String) and type_.length else type_


def rows_of(table: Table, names: Iterable[str]):
    """The derived table of a batch's rows (PostgreSQL), for statements `insert_rows` does not cover."""
    return _source(table, tuple(names))


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], verbatim: bool = False):
    """(statement, parameters) inserting `rows` (dicts with the same keys): on PostgreSQL one INSERT … SELECT from
    the rows as one JSON parameter (rows go in the list's order), on SQLite the dialect's INSERT for executemany.
    The statement takes `.on_conflict_do_…()` and `.returning()` as any INSERT. `verbatim`: see `_source`."""
    names = tuple(rows[0])
    statement = insert_for(conn, table)
    if conn.dialect.name != "postgresql":
        return statement, rows
    return (statement.from_select(list(names), select(*_source(table, names, verbatim).c)),
            {ROWS: json_rows(rows)})


def update_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], key: str = "id") -> None:
    """Set each row's columns on the row with its `key`: PostgreSQL in one UPDATE … FROM the rows as one JSON
    parameter; SQLite (one writer, no network) with one executemany."""
    if not rows:
        return
    names = list(rows[0])
    if conn.dialect.name != "postgresql":
        conn.execute(update(table).where(table.c[key] == bindparam("_key")).values(
            {n: bindparam(f"_{n}") for n in names if n != key}),
            [{f"_{n}": r[n] for n in names if n != key} | {"_key": r[key]} for r in rows])
        return
    conn.execute(_update_statement(table, tuple(names), key), {ROWS: json_rows(rows)})


@lru_cache(maxsize=None)
def _update_statement(table: Table, names: tuple[str, ...], key: str):
    given = _source(table, names)
    return (update(table).where(table.c[key] == given.c[key])
            .values({n: given.c[n] for n in names if n != key}))


def pg_array(values: Iterable[Any]) -> str:
    """Integers or strings as a PostgreSQL array literal ('{1,2}', '{"a","b"}'): one text parameter for a whole
    list, where an IN list takes one per value (and its text, so its compiled form, changes with its length)."""
    return "{" + ",".join(str(v) if isinstance(v, int) else
                          '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def in_array(col, name: str, element_type):
    """`col IN (SELECT unnest(CAST(:name AS type[])))`: the list as one text parameter, parsed once.

    Not `col = ANY(CAST(:name AS type[]))`: the cast from text (array_in) is only STABLE, so the planner never
    folds it into a constant, and a sequential scan (the plan for a small or not yet analyzed table, or for many
    values) parses the whole array again for every row: 9.2 s for 3,000 rows and 8,000 keys, where the semi-join
    on `unnest` takes 4–13 ms (a worker's batch of 100 long reports looks up that many dedupe keys).
    """
    return col.in_(select(func.unnest(cast(bindparam(name, type_=Text), ARRAY(element_type)))))


def any_of(conn: Connection, col, values: Iterable[Any], name: str):
    """`col IN values` as (criterion, parameters): on PostgreSQL a semi-join on the list as one array parameter
    (`in_array`), elsewhere a plain IN."""
    values = list(values)
    if conn.dialect.name != "postgresql":
        return col.in_(values), {}
    return in_array(col, name, _unbounded(col.type)), {name: pg_array(values)}
