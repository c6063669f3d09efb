"""Many rows in one statement: the pipeline writes a whole batch per table, not a statement per ticket."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, column, update, values
from sqlalchemy.engine import Connection


def update_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], key: str = "id") -> None:
    """Set each row's columns on the row with its `key`: PostgreSQL in one UPDATE … FROM (VALUES …);
    SQLite (one writer, no network) with one executemany."""
    if not rows:
        return
    names = list(rows[0])
    if conn.dialect.name != "postgresql":
        conn.execute(update(table).where(table.c[key] == bindparam("_key")).values(
            {n: bindparam(f"_{n}") for n in names if n != key}),
            [{f"_{n}": r[n] for n in names if n != key} | {"_key": r[key]} for r in rows])
        return
    given = values(*(column(n, table.c[n].type) for n in names), name="given").data(
        [tuple(r[n] for n in names) for r in rows])
    conn.execute(update(table).where(table.c[key] == given.c[key]).values(
        {n: given.c[n] for n in names if n != key}))
