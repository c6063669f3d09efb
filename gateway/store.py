"""The ticket store's engine: SQLite (embedded) or PostgreSQL, and schema migrations at start-up."""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from gateway.private_files import private_dir, private_file

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_POOL_SIZE = 10


def make_engine(url: str, deadline_seconds: float | None = None, pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    """An engine for `url`, set up for many writer threads (SQLite) or processes (PostgreSQL).

    With `deadline_seconds`, no PostgreSQL statement or connection check may block longer than that
    (gateway.store_deadline); the web app and workers use it, bulk tools and benchmarks do not. `pool_size`
    PostgreSQL connections are kept open; as many again are opened when needed and closed after use.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # A folder made here is 0700; one the operator chose is left as it is. The file itself (and so its
            # journal and WAL, which SQLite creates with the database's mode) is 0600.
            private_dir(Path(parsed.database).parent, tighten=False)
            private_file(parsed.database)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _serialize_sqlite_writes(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=not deadline_seconds,
                           pool_timeout=10, connect_args={
        "connect_timeout": 3,
        # Server-side plans for a generic IN list turned index probes into scans; plain statements plan each time.
        "prepare_threshold": None,
        # A database that stops answering must cost a request seconds, not minutes: unacknowledged data, a
        # silent peer, a stuck statement and a lock wait all end in an error (answered 503, retried by callers).
        "tcp_user_timeout": 5000, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3,
        "keepalives_count": 3, "options": "-c statement_timeout=15000 -c lock_timeout=10000",
    })
    # A many-row INSERT is one multi-row statement (as with RETURNING), not one statement per row pipelined:
    # the pipeline writes a batch per table in one statement (gateway.pipeline).
    engine.dialect.use_insertmanyvalues_wo_returning = True
    if deadline_seconds:
        from gateway.store_deadline import install_deadline
        install_deadline(engine, deadline_seconds)
    return engine


def _serialize_sqlite_writes(engine: Engine) -> None:
    # pysqlite begins transactions lazily and as DEFERRED, so two threads that both read and then write
    # deadlock into "database is locked". BEGIN IMMEDIATE takes the write lock up front; WAL lets readers
    # of committed data go on meanwhile. This is the recipe from SQLAlchemy's SQLite dialect notes.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the caller hears "accepted", even across a power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to run from several processes at once."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes starting together would both try to create the tables.
            conn.execute(text("SELECT pg_advisory_xact_lock(727274001)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")  # features add their tables on branches of their own


def ping(engine: Engine) -> None:
    """Raise when the database cannot be reached."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
