"""Job queues: RQ on Redis in production; in embedded mode a wake-up for the in-process worker.

The pipeline's stages (tickets into cases, case events to the case system) are not queued one job per ticket:
the workers claim their work from the database in batches, and a submission only rings a doorbell (a short Redis
list a waiting worker blocks on) so that an idle worker starts at once rather than at its next look. Other work
(WeChat media, SMS) goes through RQ as JSON with deterministic job ids; a job id already waiting or running is
never pushed again. Every job is idempotent: the database, not the queue, says what is left to do, so a lost or
repeated job or doorbell costs nothing but time.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

from config import Settings

log = logging.getLogger(__name__)

QUEUE_NAMES = {False: "gateway", True: "gateway-urgent"}
# Jobs whose work the batch loops claim from the database: enqueueing them rings the stage's doorbell.
STAGE_OF_JOB = {"normalize_ticket": "tickets", "assign_case": "tickets", "deliver_case": "deliveries"}
DOORBELL = "gateway:doorbell:{}"
TOTALS = "gateway:pipeline:totals"
DOORBELL_LENGTH = 16   # enough to wake every worker; more rings than that say nothing new
# After a ring, the next waits this long: rings asked for meanwhile go as one (a worker already woken needs no
# second ring), so under load a web process sends tens of rings a second, not one per acknowledgement.
RING_INTERVAL = 0.02
# An RQ job in one of these states will run: pushing its id again would only make RQ run it twice.
WAITING = {"queued", "started", "scheduled", "deferred"}


class EmbeddedQueue:
    """No Redis: enqueueing only wakes the in-process worker, which reads its work from the database."""

    embedded = True

    def __init__(self):
        self.wake_event = threading.Event()
        self.totals: dict[str, int] = {}

    def wake(self, stage: str = "tickets", urgent: bool = False) -> bool:
        self.wake_event.set()
        return True

    def enqueue(self, job: str, arg: int, urgent: bool = False) -> bool:
        self.wake_event.set()
        return True

    def depth(self) -> int | None:
        return None

    def count_batch(self, tickets: int, statements: int) -> None:
        """Add a pipeline batch to this process's totals (`pipeline_totals`)."""
        for name, value in (("batches", 1), ("tickets", tickets), ("statements", statements)):
            self.totals[name] = self.totals.get(name, 0) + value

    def pipeline_totals(self) -> dict[str, int]:
        return dict(self.totals)

    def ping(self) -> None:
        return None


class Doorbells:
    """Rings the stages' doorbells from a thread of its own, after the caller has moved on.

    An acknowledgement is answered after its commit; the ring only saves an idle worker its next look (at most a
    second later, `gateway.worker`), so it need not hold up the answer: the request asks for a ring and returns,
    this thread sends it. Rings asked for while one is sent, or within `interval` of it, are sent as one.
    """

    def __init__(self, ring: Callable[[str], object], interval: float = RING_INTERVAL):
        self._ring = ring
        self.interval = interval
        self._due: set[str] = set()
        self._cond = threading.Condition()
        self._pid: int | None = None

    def ring_soon(self, stage: str) -> None:
        """Ask for the stage's doorbell to be rung; returns at once."""
        with self._cond:
            self._due.add(stage)
            if self._pid != os.getpid():  # the first ring in this process (a forked child starts its own thread)
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="doorbells", daemon=True).start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._due:
                    self._cond.wait()
                due, self._due = self._due, set()
            for stage in sorted(due):
                try:
                    self._ring(stage)  # RedisQueue.wake logs a Redis away itself
                except Exception:  # this thread must outlive any ring: a lost one costs a worker a second
                    log.exception("doorbell %s failed", stage)
            time.sleep(self.interval)


class RedisQueue:
    """RQ queues with the JSON serializer; urgent work has its own queue, which workers read first."""

    embedded = False

    def __init__(self, url: str):
        from redis import Redis
        from rq import Queue
        from rq.serializers import JSONSerializer

        from redis.backoff import NoBackoff
        from redis.retry import Retry as RedisRetry

        # Enqueueing happens after the commit, on the caller's time: a Redis that is away must cost at most
        # a second (the workers find the work in the database later), never a retry loop.
        self.redis = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=3,
                                    retry=RedisRetry(NoBackoff(), 0))
        self.queues = {urgent: Queue(name, connection=self.redis, serializer=JSONSerializer)
                       for urgent, name in QUEUE_NAMES.items()}
        self.doorbells = Doorbells(self.wake)

    def wake(self, stage: str = "tickets", urgent: bool = False) -> bool:
        """Ring the stage's doorbell (one round trip); False (logged) when Redis is down."""
        from redis.exceptions import RedisError
        key = DOORBELL.format(stage)
        try:
            # LPUSH answers the list's length: trimming only when it has grown past twice the bound keeps a
            # ring to one command (this is on every acknowledgement) and the list short while workers are busy.
            if self.redis.lpush(key, 1) > 2 * DOORBELL_LENGTH:
                self.redis.ltrim(key, 0, DOORBELL_LENGTH - 1)
            return True
        except RedisError as exc:
            log.warning("doorbell %s failed, the workers look on their own: %s", stage, exc)
            return False

    def wait(self, stage: str, timeout: float) -> bool:
        """Block until the stage's doorbell rings or `timeout` seconds pass; True when it rang."""
        return self.redis.blpop([DOORBELL.format(stage)], timeout=max(1, int(timeout))) is not None

    def enqueue(self, job: str, arg: int, urgent: bool = False) -> bool:
        """Put a job on the queue unless it waits there already; False (logged) when Redis is down.

        A job of the pipeline's stages only asks for the stage's doorbell (`Doorbells`) and returns True."""
        from redis.exceptions import RedisError
        from rq import Retry

        from gateway.jobs import JOB_FUNCTIONS  # here: the job table imports every channel, which imports this

        if job not in JOB_FUNCTIONS:
            raise ValueError(f"unknown job {job}")
        if job in STAGE_OF_JOB:
            self.doorbells.ring_soon(STAGE_OF_JOB[job])
            return True
        job_id = f"{job}-{arg}"
        try:
            status = self.redis.hget(f"rq:job:{job_id}", "status")
            if status is not None and status.decode() in WAITING:
                return False
            self.queues[urgent].enqueue_call(
                func=f"gateway.jobs.{job}", args=[arg], job_id=job_id, result_ttl=0,
                failure_ttl=7 * 86400, retry=Retry(max=3, interval=[2, 10, 60]), timeout=120)
            return True
        except RedisError as exc:
            log.warning("enqueue %s(%s) failed, the sweeper will retry: %s", job, arg, exc)
            return False

    def depth(self) -> int | None:
        from redis.exceptions import RedisError
        try:
            return sum(q.count for q in self.queues.values())
        except RedisError:
            return None

    def count_batch(self, tickets: int, statements: int) -> None:
        """Add a pipeline batch to the totals all workers share (`pipeline_totals`); best effort."""
        from redis.exceptions import RedisError
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hincrby(TOTALS, "batches", 1)
            pipe.hincrby(TOTALS, "tickets", tickets)
            pipe.hincrby(TOTALS, "statements", statements)
            pipe.execute()
        except RedisError:
            pass

    def pipeline_totals(self) -> dict[str, int]:
        """Batches, tickets and SQL statements of the pipeline so far, over all workers."""
        from redis.exceptions import RedisError
        try:
            return {k.decode(): int(v) for k, v in self.redis.hgetall(TOTALS).items()}
        except RedisError:
            return {}

    def ping(self) -> None:
        self.redis.ping()


def make_queue(settings: Settings) -> EmbeddedQueue | RedisQueue:
    """The queue for these settings."""
    return EmbeddedQueue() if settings.embedded else RedisQueue(settings.redis_url)
