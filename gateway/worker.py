"""`python -m gateway worker`: an RQ worker for the pipeline, plus the sweeper that re-enqueues what waits."""
from __future__ import annotations

import logging
import threading

from gateway.attachment_sweep import maybe_sweep_orphans
from gateway.runtime import Runtime
from gateway.sweeper import sweep_into_queue

log = logging.getLogger(__name__)
SWEEPER_LOCK = "gateway:sweeper"


def _sweep_forever(runtime: Runtime, stop: threading.Event) -> None:
    interval = runtime.settings.section("pipeline").get("sweep_interval_seconds", 5)
    while not stop.wait(interval):
        try:
            # One sweeper per interval across all workers is enough; the lock expires on its own.
            if runtime.queue.redis.set(SWEEPER_LOCK, "1", nx=True, ex=max(1, int(interval))):
                count = sweep_into_queue(runtime)
                if count:
                    log.info("sweeper enqueued %d jobs", count)
            maybe_sweep_orphans(runtime, runtime.queue.redis)
        except Exception as exc:  # Redis or the database away for a moment: try again next round
            log.warning("sweeper round failed: %s", exc)


def run_worker(runtime: Runtime, burst: bool = False) -> None:
    """Work the urgent queue first, then the normal one, until stopped (or, with `burst`, until empty)."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    queue = runtime.queue
    stop = threading.Event()
    sweeper = threading.Thread(target=_sweep_forever, args=(runtime, stop), daemon=True, name="sweeper")
    sweeper.start()
    # SimpleWorker runs jobs in this process instead of forking one per job: the runtime (engine, models)
    # is built once, and a fork would share the database connections with the child.
    worker = SimpleWorker([queue.queues[True], queue.queues[False]], connection=queue.redis,
                          serializer=JSONSerializer)
    try:
        worker.work(burst=burst, with_scheduler=False)
    finally:
        stop.set()
