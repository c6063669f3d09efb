"""A pipeline worker gives way to the web processes: its own CPU priority, and its PostgreSQL backends'.

`os.nice` alone is not enough on Linux with autogroups (`kernel.sched_autogroup_enabled = 1`, the default on
most distributions when no cgroup CPU controller is in use): the scheduler first shares the CPU fairly between
*sessions* and only then by niceness inside one. So
- a worker in a session of its own (a systemd unit, `setsid`) competes with the web's session as an equal,
  whatever its nice value: it lowers its session's weight too (`/proc/self/autogroup`), which it does only when
  it leads its session (the group is then itself alone; otherwise it would slow its neighbours down as well);
- every PostgreSQL backend calls setsid() at start, so each one is a session of its own: a worker's batch
  statements ran with the weight of the whole web service. When the database runs on this host and the worker
  may (same user as PostgreSQL, or CAP_SYS_NICE), it lowers its backends like itself; otherwise it says so once.
With a cgroup CPU controller (systemd's `CPUWeight=`), set the weights there: nice values do not cross cgroups.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
AUTOGROUP_SWITCH = Path("/proc/sys/kernel/sched_autogroup_enabled")


def autogroups_on() -> bool:
    """Whether the scheduler shares the CPU between sessions first (Linux autogroups)."""
    try:
        return AUTOGROUP_SWITCH.read_text().strip() == "1"
    except OSError:
        return False


def lower_process_priority(step: int) -> int:
    """Lower this process by `step` niceness, and its session's weight when it leads a session of its own."""
    if step <= 0 or not hasattr(os, "nice"):
        return 0
    niceness = os.nice(step)
    if not autogroups_on():
        return niceness
    if os.getsid(0) != os.getpid():
        log.info("worker niceness %d counts only within its session (autogroup), shared with the processes "
                 "started beside it; start the worker in a session of its own (setsid, a systemd unit) to give way "
                 "to web processes started elsewhere", niceness)
        return niceness
    try:
        Path("/proc/self/autogroup").write_text(str(niceness))
    except OSError as exc:
        log.warning("could not lower this worker's session weight (autogroup): %s", exc)
    return niceness


def _backend_here(pid: int, database: str, client_port: int | None) -> bool:
    """Whether `pid` on this host is the PostgreSQL backend serving this connection (not a pid of another host
    or container that happens to exist here): its process title names the database and our client port."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    if not title.startswith("postgres: ") or f" {database} " not in title:
        return False
    return f"({client_port})" in title if client_port else "[local]" in title


def lower_backend_priority(engine: Engine, step: int) -> None:
    """From now on, lower each new PostgreSQL backend of `engine` by `step` (nice and autogroup), where allowed."""
    if step <= 0 or engine.dialect.name != "postgresql" or not hasattr(os, "setpriority"):
        return
    told: set[str] = set()

    def say_once(kind: str, message: str, *args) -> None:
        if kind not in told:
            told.add(kind)
            (log.info if kind == "done" else log.warning)(message, *args)

    @event.listens_for(engine, "connect")
    def _lower(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT pg_backend_pid(), inet_client_port(), current_database()")
            pid, port, database = cursor.fetchone()
        finally:
            cursor.close()
            dbapi_connection.rollback()  # the driver opened a transaction for the query: leave none behind
        if not _backend_here(pid, database, port):
            say_once("remote", "PostgreSQL runs on another host (or in another container): its backends keep their "
                     "priority; give the database machine's CPU to the web or run workers elsewhere")
            return
        try:
            os.setpriority(os.PRIO_PROCESS, pid, max(step, os.getpriority(os.PRIO_PROCESS, pid)))
            if autogroups_on():
                Path(f"/proc/{pid}/autogroup").write_text(str(step))
        except OSError as exc:
            say_once("denied", "could not lower this worker's PostgreSQL backends (%s): run the worker as the "
                     "database's user or with CAP_SYS_NICE for them to give way to the web too", exc)
            return
        say_once("done", "this worker's PostgreSQL backends run at niceness %d", step)
