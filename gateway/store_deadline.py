"""A client-side deadline for PostgreSQL statements.

The server's statement_timeout and TCP's own timers cover a stuck server and a dead network, but not a peer that
keeps acknowledging and never answers (a frozen proxy or pooler in between): libpq would wait for ever, holding
a request thread. A watchdog thread shuts the socket of a statement that outlives its deadline; libpq then fails
at once, SQLAlchemy invalidates the connection, and the request is answered 503.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import socket
import threading
import time
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

log = logging.getLogger(__name__)
# A pooled connection idle longer than this is checked (SELECT 1) before it is handed out.
PING_IDLE_SECONDS = 2.0
_WATCHDOGS: "weakref.WeakKeyDictionary[Engine, Watchdog]" = weakref.WeakKeyDictionary()


class Watchdog:
    """Deadlines for file descriptors: `arm` before a blocking call, `disarm` after it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.heap: list[tuple[float, int, int]] = []
        self.armed: dict[int, int] = {}  # token → fd
        self.counter = itertools.count()
        self.cond = threading.Condition()
        threading.Thread(target=self._run, name="store-deadline", daemon=True).start()

    def arm(self, fd: int) -> int:
        token = next(self.counter)
        with self.cond:
            self.armed[token] = fd
            # Every deadline is now + the same seconds, so a new one is never earlier than those waiting: the
            # watchdog needs waking only when it sleeps with nothing to watch (not a thread switch per statement).
            if not self.heap:
                self.cond.notify()
            heapq.heappush(self.heap, (time.monotonic() + self.seconds, token, fd))
        return token

    def disarm(self, token: int | None) -> None:
        if token is not None:
            with self.cond:
                self.armed.pop(token, None)

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.heap:
                    self.cond.wait()
                deadline, token, fd = self.heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    # A tenth of a second late at most, so one wake-up clears the deadlines of many statements.
                    self.cond.wait(wait + 0.1)
                    continue
                heapq.heappop(self.heap)
                if self.armed.pop(token, None) is None:
                    continue
            log.error("a database statement outlived its %.0f s deadline; closing its connection", self.seconds)
            try:
                # Shut the socket down (not close the fd, which libpq still owns): its wait ends with an error.
                dup = socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM)  # a duplicate descriptor
                dup.shutdown(socket.SHUT_RDWR)
                dup.close()
            except OSError:
                pass


def fd_of(dbapi_connection) -> int | None:
    try:
        return dbapi_connection.fileno()
    except Exception:  # a closed connection has no descriptor: nothing to watch
        return None


def watchdog_of(engine: Engine) -> Watchdog | None:
    """The watchdog of an engine with a deadline (for statements run on the driver directly), else None."""
    return _WATCHDOGS.get(engine)


def install_deadline(engine: Engine, seconds: float) -> None:
    """Give every statement and every pool check-out of `engine` a deadline of `seconds`."""
    watchdog = _WATCHDOGS[engine] = Watchdog(seconds)

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn, cursor, statement, parameters, context, executemany):
        fd = fd_of(conn.connection.dbapi_connection)
        conn.info["deadline_token"] = watchdog.arm(fd) if fd is not None else None

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn, cursor, statement, parameters, context, executemany):
        watchdog.disarm(conn.info.pop("deadline_token", None))

    @event.listens_for(engine, "handle_error")
    def _disarm_on_error(context):
        if context.connection is not None:
            watchdog.disarm(context.connection.info.pop("deadline_token", None))

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record):
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, proxy):
        # Our own pre-ping, under the deadline (SQLAlchemy's pool_pre_ping runs outside every event), only for a
        # connection that sat idle in the pool: one used a moment ago is alive but for a restart in that moment,
        # and a round trip per checkout was a fifth of an acknowledgement's. A statement on a connection that
        # died anyway fails as a disconnect, which empties the pool; the intake tries such a failure once more.
        # `record.info` is cleared when a connection is replaced: a new one is not pinged either.
        idle_from = record.info.get("idle_from")
        if idle_from is None or time.monotonic() - idle_from < PING_IDLE_SECONDS:
            return
        fd = fd_of(dbapi_connection)
        token = watchdog.arm(fd) if fd is not None else None
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            # The driver began a transaction for the ping; end it, or the intake cannot switch the connection to
            # autocommit ("can't change 'autocommit' now: connection in transaction status INTRANS": a 500).
            dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError(str(exc)) from exc  # the pool throws this connection away, tries another
        finally:
            watchdog.disarm(token)
