"""Embedded mode's worker: one thread in the server process runs the same pipeline, fed from the database.

Each round carries every ready ticket into its case (in batches, as production workers do), sends what is due
to the case system (concurrently across cases with a `Dispatcher`), then runs the other jobs one by one. A job
that raises is logged and set aside with a growing backoff: it never stops the round or holds up the others.
"""
from __future__ import annotations

import logging
import os
import threading
import time

from gateway.attachment_sweep import maybe_sweep_orphans
from gateway.hot_prune import maybe_prune_hot
from gateway.delivery import Dispatcher, deliver_case, due_cases
from gateway.jobs import JOB_FUNCTIONS
from gateway.pipeline import process_batch
from gateway.runtime import Runtime
from gateway.sweeper import pending_work

log = logging.getLogger(__name__)


class Backoff:
    """Jobs that raised, kept out of the rounds for 1 s, 2 s, 4 s … at most 5 minutes."""

    def __init__(self, base: float = 1.0, cap: float = 300.0):
        self.base, self.cap = base, cap
        self.failures: dict[tuple[str, int], int] = {}
        self.until: dict[tuple[str, int], float] = {}

    def ready(self, key: tuple[str, int]) -> bool:
        return self.until.get(key, 0.0) <= time.monotonic()

    def run(self, key: tuple[str, int], call) -> bool:
        """Run `call()` unless `key` is backing off; True when it ran without raising."""
        if not self.ready(key):
            return False
        try:
            call()
        except Exception:
            count = self.failures[key] = self.failures.get(key, 0) + 1
            delay = min(self.cap, self.base * 2 ** (count - 1))
            self.until[key] = time.monotonic() + delay
            log.exception("job %s(%s) failed (%d times); tried again in %.0f s", *key, count, delay)
            return False
        self.failures.pop(key, None)
        self.until.pop(key, None)
        return True


def run_pending(runtime: Runtime, rounds: int = 50, dispatcher: Dispatcher | None = None,
                backoff: Backoff | None = None) -> int:
    """Run everything the database says is waiting, until nothing is left; returns how much work was done.

    Without a `dispatcher` the due cases are sent one after the other in this thread (tests, tools).
    """
    backoff = backoff or Backoff()
    done = 0
    for _ in range(rounds):
        step = 0
        while placed := process_batch(runtime):
            step += len(placed)
        if runtime.settings.downstream_url:
            if dispatcher is not None:
                step += dispatcher.drain(rounds=1)
            else:
                for case_id, _urgent in due_cases(runtime):
                    step += backoff.run(("deliver_case", case_id), lambda c=case_id: deliver_case(runtime, c))
        for job, arg, _urgent in pending_work(runtime):
            step += backoff.run((job, arg), lambda j=job, a=arg: JOB_FUNCTIONS[j](a, runtime=runtime))
        done += step
        if not step:
            break
    return done


class EmbeddedWorker:
    """A daemon thread that wakes on every submission (or each interval) and drains the work."""

    def __init__(self, runtime: Runtime, interval: float = 1.0):
        self.runtime = runtime
        self.interval = interval
        self.stopping = threading.Event()
        self.backoff = Backoff()
        self.dispatcher: Dispatcher | None = None
        self.thread = threading.Thread(target=self._loop, name="gateway-embedded-worker", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        self.runtime.queue.wake_event.set()
        self.thread.join(timeout)
        if self.dispatcher is not None:
            self.dispatcher.close()

    def _loop(self) -> None:
        lower_thread_priority(self.runtime)
        wake = self.runtime.queue.wake_event
        while not self.stopping.is_set():
            wake.clear()
            try:
                if self.dispatcher is None:
                    self.dispatcher = Dispatcher(self.runtime)
                run_pending(self.runtime, dispatcher=self.dispatcher, backoff=self.backoff)
                maybe_sweep_orphans(self.runtime)
                maybe_prune_hot(self.runtime)
            except Exception:  # the thread must outlive a bad moment (the database restarting)
                log.exception("embedded worker round failed; retrying")
                self.stopping.wait(self.interval)
            wake.wait(self.interval)


def lower_thread_priority(runtime: Runtime) -> None:
    """Give this thread a lower CPU priority than the request threads (Linux: threads have their own nice)."""
    niceness = int(runtime.settings.section("pipeline").get("worker_nice", 10))
    if niceness and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        except OSError as exc:
            log.warning("could not lower the embedded worker's priority: %s", exc)
