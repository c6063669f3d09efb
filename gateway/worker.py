"""`python -m gateway worker`: the pipeline's loops, an RQ worker for the other jobs, and the sweeper.

In one process, each in its own thread:
- tickets: claims up to `[pipeline] batch_size` ready tickets at a time and carries them into cases
  (gateway.pipeline); when none is ready it waits for the doorbell a submission rings, or one second;
- deliveries: hands every due case to a bounded pool of senders (gateway.delivery.Dispatcher);
- the sweeper: re-enqueues the channels' RQ jobs (WeChat media, SMS) whose job was lost, never one that is still
  queued; and removes attachments nobody claimed;
- RQ (the main thread): those jobs, urgent queue first.

The process lowers its own CPU priority (`[pipeline] worker_nice`, default 10), and its PostgreSQL backends' where
the database runs on this host and it may (gateway.cpu_priority), so that on a machine it shares with the web
processes an acknowledgement never waits for the pipeline: the pipeline catches up in the gaps.
"""
from __future__ import annotations

import gc
import logging
import threading

from gateway.attachment_sweep import maybe_sweep_orphans
from gateway.cpu_priority import lower_backend_priority, lower_process_priority
from gateway.hot_prune import maybe_prune_hot
from gateway.delivery import Dispatcher
from gateway.embedded import run_pending
from gateway.pipeline import batch_size, process_batch
from gateway.runtime import Runtime
from gateway.sweeper import sweep_into_queue

log = logging.getLogger(__name__)
SWEEPER_LOCK = "gateway:sweeper"
IDLE_SECONDS = 1.0


def lower_priority(runtime: Runtime) -> int:
    """Lower this process's CPU priority by `[pipeline] worker_nice` (Unix nice), and its database backends';
    returns the new niceness."""
    step = int(runtime.settings.section("pipeline").get("worker_nice", 10))
    if step <= 0:
        return 0
    niceness = lower_process_priority(step)
    # Backends connected before this (start-up's migration) are returned to the pool: start with fresh ones.
    runtime.engine.dispose()
    lower_backend_priority(runtime.engine, niceness or step)
    log.info("worker niceness %d: web processes come first", niceness)
    return niceness


def freeze_start_up() -> int:
    """Move what start-up built (modules, the app's tables, the normalizer's and the deduper's models) out of the
    collector's sight; returns how many objects. A full collection otherwise walks all of it again and again for
    the life of the process, for nothing: it lives as long as the process. Garbage is collected first, so none is
    kept."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _wait(runtime: Runtime, stage: str, stop: threading.Event) -> None:
    """Until the stage's doorbell rings, or a second passes (a lost ring costs at most that)."""
    try:
        runtime.queue.wait(stage, IDLE_SECONDS)
    except Exception:  # Redis away: look in the database on a timer meanwhile
        stop.wait(IDLE_SECONDS)


def _tickets_forever(runtime: Runtime, stop: threading.Event) -> None:
    full = limit = batch_size(runtime)
    while not stop.is_set():
        try:
            if process_batch(runtime, limit):
                limit = min(full, limit * 2)
                continue
        except Exception as exc:  # the database away for a moment: try again shortly
            # ... with half the batch: on an overloaded machine a full batch's statement can outlive the store's
            # deadline every time it is tried (board reports in batches of 100 at load 12 did), and the same batch
            # again never gets through; a smaller one does, and the next successes double it back.
            limit = max(1, limit // 2)
            log.warning("pipeline batch failed: %s; the next one takes at most %d tickets", exc, limit)
            stop.wait(IDLE_SECONDS)
            continue
        _wait(runtime, "tickets", stop)


def _deliveries_forever(runtime: Runtime, stop: threading.Event, dispatcher: Dispatcher) -> None:
    while not stop.is_set():
        try:
            handed = dispatcher.dispatch()
        except Exception as exc:
            log.warning("delivery round failed: %s", exc)
            stop.wait(IDLE_SECONDS)
            continue
        if not handed:
            _wait(runtime, "deliveries", stop)


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
            maybe_prune_hot(runtime, runtime.queue.redis)
        except Exception as exc:  # Redis or the database away for a moment: try again next round
            log.warning("sweeper round failed: %s", exc)


def run_worker(runtime: Runtime, burst: bool = False) -> None:
    """Work until stopped (or, with `burst`, until nothing is left)."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    queue = runtime.queue
    # SimpleWorker runs jobs in this process instead of forking one per job: the runtime (engine, models)
    # is built once, and a fork would share the database connections with the child.
    worker = SimpleWorker([queue.queues[True], queue.queues[False]], connection=queue.redis,
                          serializer=JSONSerializer)
    dispatcher = Dispatcher(runtime)
    stop = threading.Event()
    try:
        if burst:
            while run_pending(runtime, dispatcher=dispatcher) + int(worker.work(burst=True, with_scheduler=False)):
                pass
            return
        loops = [threading.Thread(target=_tickets_forever, args=(runtime, stop), daemon=True, name="tickets"),
                 threading.Thread(target=_deliveries_forever, args=(runtime, stop, dispatcher), daemon=True,
                                  name="deliveries"),
                 threading.Thread(target=_sweep_forever, args=(runtime, stop), daemon=True, name="sweeper")]
        for thread in loops:
            thread.start()
        worker.work(burst=False, with_scheduler=False)
    finally:
        stop.set()
        dispatcher.close()
