"""Many rows in one statement: the pipeline writes a whole batch per table, not a statement per ticket."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Table, bindparam, text, update
from sqlalchemy.engine import Connection


def update_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], key: str = "id") -> None:
    """Set each row's columns on the row with its `key`: PostgreSQL in one UPDATE … FROM unnest(arrays);
    SQLite (one writer, no network) with one executemany."""
    if not rows:
        return
    names = list(rows[0])
    if conn.dialect.name != "postgresql":
        conn.execute(update(table).where(table.c[key] == bindparam("_key")).values(
            {n: bindparam(f"_{n}") for n in names if n != key}),
            [{f"_{n}": r[n] for n in names if n != key} | {"_key": r[key]} for r in rows])
        return
    # One array per column, unnested into rows: the statement's text (and its compiled form) is the same for every
    # batch, where a VALUES list would be compiled again for each one.
    types = {n: table.c[n].type for n in names}
    arrays = ", ".join(f"CAST(:{n} AS {types[n].compile(dialect=conn.dialect)}[])" for n in names)
    assignments = ", ".join(f"{n} = given.{n}" for n in names if n != key)
    statement = text(f"UPDATE {table.name} SET {assignments} FROM unnest({arrays}) AS given({', '.join(names)}) "
                     f"WHERE {table.name}.{key} = given.{key}")
    conn.execute(statement, {n: [_plain(r[n], types[n]) for r in rows] for n in names})


def _plain(value: Any, type_) -> Any:
    """A value as an array element: JSON as its text (cast to jsonb by the statement), the rest as they are."""
    if value is not None and isinstance(type_, JSON):
        return json.dumps(value, ensure_ascii=False)
    return value
