"""One statement on a pooled driver connection in autocommit, under the store's deadline, for the hot paths.

On the intake's INSERT and a delivered event's outcome, SQLAlchemy's execution (its connection object, the
isolation-level switch and reset, events, parameter and result processing) cost more client CPU than the statement
itself: a delivered event's outcome 0.55 ms through `Connection.execute`, 0.16 ms on the driver (bench/README.md,
2026-12-07). The statement is still built with SQLAlchemy Core and compiled once per engine; here it runs on the
driver's cursor, with the same bind processing, the same pool (and its check-out ping), the same deadline, and
its errors raised as SQLAlchemy's (a lost connection is invalidated and says so, as `Connection.execute` would).
PostgreSQL (psycopg) only.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, Hashable

from psycopg.rows import namedtuple_row
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

from gateway.store_deadline import fd_of, watchdog_of

_COMPILED: "weakref.WeakKeyDictionary[Engine, dict]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


class RawStatement:
    """A Core statement compiled for one engine: its SQL text, its literal parameters and its bind processors."""

    def __init__(self, statement: ClauseElement, engine: Engine):
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        if compiled.positional:
            raise ValueError("RawStatement needs a driver with named parameters (psycopg)")
        self.engine = engine
        self.sql = str(compiled)
        self.literals: dict[str, Any] = {}
        self.names = frozenset(compiled.bind_names.values())  # every parameter the statement has
        self.processors: dict[str, Any] = {}
        # Python-side column defaults (`default=0`) are filled in by SQLAlchemy's execution, which this skips:
        # constants are taken here; a callable default would need that machinery, so it is refused.
        prefetch = [(c, c.default) for c in compiled.insert_prefetch] + [(c, c.onupdate) for c in
                                                                          compiled.update_prefetch]
        defaults = {}
        for column, default in prefetch:
            if default is None or not default.is_scalar:
                raise ValueError(f"RawStatement cannot compute the default of {column}")
            defaults[column.key] = default.arg
        for bind, name in compiled.bind_names.items():
            if bind.expanding:
                raise ValueError("RawStatement takes no expanding IN parameters")
            if name in defaults:
                self.literals[name] = defaults[name]
            elif not bind.required:
                self.literals[name] = bind.effective_value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor

    def parameters(self, values: dict[str, Any]) -> dict[str, Any]:
        """The driver's parameters for `values` (by bind name), literals added and every value processed."""
        params = {**self.literals, **values}
        for name, processor in self.processors.items():
            params[name] = processor(params[name])
        return params

    def run(self, values: dict[str, Any]) -> list:
        """Run in autocommit (one statement, its own transaction); the rows it returns, as named tuples."""
        engine = self.engine
        params = self.parameters(values)
        watchdog = watchdog_of(engine)
        dbapi_error = engine.dialect.loaded_dbapi.Error
        try:
            fairy = engine.raw_connection()
        except dbapi_error as exc:  # no connection (the database down): as `Engine.connect` raises it
            raise DBAPIError.instance(None, None, exc, dbapi_error, dialect=engine.dialect) from exc
        driver = fairy.driver_connection
        cursor = None
        try:
            driver.autocommit = True
            cursor = driver.cursor(row_factory=namedtuple_row)
            fd = fd_of(driver) if watchdog is not None else None
            token = watchdog.arm(fd) if fd is not None else None
            try:
                cursor.execute(self.sql, params)
                rows = cursor.fetchall() if cursor.description is not None else []
            finally:
                if token is not None:
                    watchdog.disarm(token)
            cursor.close()
            driver.autocommit = False  # the pool's other users expect a connection that begins transactions
            return rows
        except dbapi_error as exc:
            lost = engine.dialect.is_disconnect(exc, driver, cursor)
            if lost:
                fairy.invalidate(exc)
            else:
                try:
                    driver.autocommit = False
                except Exception:  # the connection is unusable after all: the pool must not hand it out again
                    fairy.invalidate(exc)
            raise DBAPIError.instance(self.sql, params, exc, dbapi_error, connection_invalidated=lost, dialect=engine.dialect) from exc
        finally:
            fairy.close()


def raw_statement(engine: Engine, key: Hashable, build: Callable[[], ClauseElement]) -> RawStatement:
    """The statement `build()` makes, compiled for `engine` once per `key`."""
    cached = _COMPILED.get(engine, {}).get(key)
    if cached is None:
        cached = RawStatement(build(), engine)
        with _LOCK:
            _COMPILED.setdefault(engine, {})[key] = cached
    return cached
