"""Embedded mode's worker: one thread in the server process runs the same jobs, fed from the database."""
from __future__ import annotations

import logging
import threading

from gateway.attachment_sweep import maybe_sweep_orphans
from gateway.jobs import JOB_FUNCTIONS
from gateway.runtime import Runtime
from gateway.sweeper import pending_work

log = logging.getLogger(__name__)


def run_pending(runtime: Runtime, rounds: int = 50) -> int:
    """Run every job the database says is waiting, until nothing is left; returns how many ran."""
    ran = 0
    for _ in range(rounds):
        work = pending_work(runtime, stale_after=0)
        if not work:
            break
        for job, arg, _urgent in work:
            JOB_FUNCTIONS[job](arg, runtime=runtime)
            ran += 1
    return ran


class EmbeddedWorker:
    """A daemon thread that wakes on every enqueue (or each interval) and drains the work."""

    def __init__(self, runtime: Runtime, interval: float = 1.0):
        self.runtime = runtime
        self.interval = interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="gateway-embedded-worker", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        self.runtime.queue.wake.set()
        self.thread.join(timeout)

    def _loop(self) -> None:
        wake = self.runtime.queue.wake
        while not self.stopping.is_set():
            wake.clear()
            try:
                run_pending(self.runtime)
                maybe_sweep_orphans(self.runtime)
            except Exception:  # the thread must outlive a bad moment (database restarting, a bug in one job)
                log.exception("embedded worker round failed; retrying")
                self.stopping.wait(self.interval)
            wake.wait(self.interval)
