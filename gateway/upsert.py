"""One INSERT with ON CONFLICT for both stores: PostgreSQL and SQLite spell it the same way in SQLAlchemy, but each
through its own dialect's `insert`."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection


def insert_for(conn: Connection, table: Table):
    """`table`'s INSERT for this connection's database, with `on_conflict_do_nothing` / `on_conflict_do_update`."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
