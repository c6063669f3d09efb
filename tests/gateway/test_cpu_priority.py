"""A pipeline worker gives way to the web: its own priority, its session's weight, its PostgreSQL backends'."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.cpu_priority import autogroups_on, lower_backend_priority
from gateway.store import make_engine

REPO = Path(__file__).resolve().parents[2]
# A child that lowers itself by 7 and prints its niceness and its session's autogroup nice value. The kernel prints
# an empty /proc/self/autogroup for a task outside any autogroup (for instance a container's first session, or a
# process placed in a cgroup task group): that reads as '-'.
CHILD = ("import os, pathlib; from gateway.cpu_priority import lower_process_priority; lower_process_priority(7); "
         "ag = pathlib.Path('/proc/self/autogroup'); words = ag.read_text().split() if ag.exists() else []; "
         "print(os.nice(0), words[-1] if words else '-')")


def _own_autogroup_nice() -> str:
    words = Path("/proc/self/autogroup").read_text().split()
    return words[-1] if words else "-"


def _child(new_session: bool) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True,
                          start_new_session=new_session, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    out = done.stdout.split()
    return int(out[0]), out[1]


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not autogroups_on(), reason="Linux autogroups are off on this machine")
def test_a_worker_leading_its_session_lowers_the_session_and_one_sharing_a_session_leaves_it_alone():
    own = os.nice(0)
    assert _child(new_session=True) == (min(19, own + 7), str(min(19, own + 7)))
    # Started beside other processes (as by a shell or this test), the session's weight is theirs too.
    niceness, group = _child(new_session=False)
    assert niceness == min(19, own + 7) and group == _own_autogroup_nice()


def test_a_worker_lowers_its_postgresql_backends_when_they_run_here(pg_database):
    engine = make_engine(pg_database)
    lower_backend_priority(engine, 6)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            if not Path(f"/proc/{pid}").exists():
                pytest.skip("PostgreSQL runs on another host: nothing to lower")
            try:
                os.setpriority(os.PRIO_PROCESS, pid, _niceness(pid))  # allowed to change it at all?
            except PermissionError:
                pytest.skip("not allowed to change PostgreSQL's priority here (needs its user or CAP_SYS_NICE)")
            assert _niceness(pid) >= 6
            if autogroups_on():
                assert Path(f"/proc/{pid}/autogroup").read_text().split()[-1] == "6"
            # The connection is usable as before (the check left no transaction open).
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_sqlite_and_a_zero_step_touch_nothing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    lower_backend_priority(engine, 6)
    lower_backend_priority(engine, 0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
