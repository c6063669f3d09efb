"""Job queues: RQ on Redis in production; in embedded mode a wake-up for the in-process worker.

Jobs carry JSON (ids only) and deterministic job ids, and every job is idempotent: the database, not the
queue, says what is left to do, so a lost or repeated job costs nothing but time.
"""
from __future__ import annotations

import logging
import threading

from config import Settings

log = logging.getLogger(__name__)

QUEUE_NAMES = {False: "gateway", True: "gateway-urgent"}


class EmbeddedQueue:
    """No Redis: enqueueing only wakes the in-process worker, which reads its work from the database."""

    embedded = True

    def __init__(self):
        self.wake = threading.Event()

    def enqueue(self, job: str, arg: int, urgent: bool = False) -> bool:
        self.wake.set()
        return True

    def depth(self) -> int | None:
        return None

    def ping(self) -> None:
        return None


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
        # a second (the sweeper enqueues later), never a retry loop.
        self.redis = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=3,
                                    retry=RedisRetry(NoBackoff(), 0))
        self.queues = {urgent: Queue(name, connection=self.redis, serializer=JSONSerializer)
                       for urgent, name in QUEUE_NAMES.items()}

    def enqueue(self, job: str, arg: int, urgent: bool = False) -> bool:
        """Put a job on the queue; False (logged) when Redis is down: the sweeper enqueues it later."""
        from redis.exceptions import RedisError
        from rq import Retry

        from gateway.jobs import JOB_FUNCTIONS  # here: the job table imports every channel, which imports this

        if job not in JOB_FUNCTIONS:
            raise ValueError(f"unknown job {job}")
        try:
            self.queues[urgent].enqueue_call(
                func=f"gateway.jobs.{job}", args=[arg], job_id=f"{job}-{arg}", result_ttl=0,
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

    def ping(self) -> None:
        self.redis.ping()


def make_queue(settings: Settings) -> EmbeddedQueue | RedisQueue:
    """The queue for these settings."""
    return EmbeddedQueue() if settings.embedded else RedisQueue(settings.redis_url)
