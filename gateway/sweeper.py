"""What the database says is left to do for the channels' RQ jobs (WeChat media, SMS …), handed to the queue again.

The queue is only a hint; the database is the truth. A job lost with Redis, a worker killed mid-job, an enqueue
that failed after a commit: the sweeper finds their work here and enqueues it again, skipping a job that is still
queued or running (`RedisQueue.enqueue`), so sweeps never pile copies of one job onto the queue. Tickets and case
events need no sweeping: the workers' loops claim them from the database directly (gateway.pipeline,
gateway.delivery.Dispatcher).
"""
from __future__ import annotations

from gateway import registry
from gateway.notices import pending_notice_work
from gateway.runtime import Runtime
from gateway.supervision import escalation_work


def pending_work(runtime: Runtime, limit: int = 500) -> list[tuple[str, int, bool]]:
    """(job, id, urgent) for the channels' queued work that is due (media downloads, texts to send …)."""
    work: list[tuple[str, int, bool]] = []
    for channel in registry.CHANNELS:
        if channel.pending_work is not None:
            work += channel.pending_work(runtime, limit)
    # Channel-neutral feedback work: notices to citizens and overdue escalations that fell due.
    work += pending_notice_work(runtime, limit)
    work += escalation_work(runtime, limit)
    return work


def sweep_into_queue(runtime: Runtime) -> int:
    """Enqueue what waits and is not queued already; returns how many jobs were enqueued."""
    return sum(runtime.queue.enqueue(job, arg, urgent) for job, arg, urgent in pending_work(runtime))
