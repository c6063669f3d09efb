"""Production mode: the same jobs through RQ on a real Redis, JSON-serialized, deterministic job ids."""
from __future__ import annotations

import json
import time
import zlib

import pytest
from redis import Redis

from gateway.sweeper import sweep_into_queue
from gateway.worker import run_worker
from tests.harness.gateway import make_gateway
from tests.harness.services import REDIS_URL, require_service

TEST_REDIS = REDIS_URL


@pytest.fixture
def rq_gateway(database_url, tmp_path, case_system):
    require_service("Redis", "127.0.0.1", 6379)
    Redis.from_url(TEST_REDIS).flushdb()
    gw = make_gateway(database_url, tmp_path, DOWNSTREAM_URL=case_system.url, GATEWAY_REDIS_URL=TEST_REDIS,
                      profile={"pipeline": {"sweep_interval_seconds": 1}})
    yield gw
    Redis.from_url(TEST_REDIS).flushdb()
    gw.runtime.engine.dispose()


def test_a_submission_rings_the_doorbell_and_a_worker_carries_it_to_the_case_system(rq_gateway, case_system):
    reference = rq_gateway.post_app({"text": "东西湖区某路口信号灯故障"}).json["reference"]
    redis = Redis.from_url(TEST_REDIS)
    # No job per ticket: the submission rings the pipeline's doorbell (from a thread of its own, after the answer);
    # workers claim tickets from the database.
    deadline = time.monotonic() + 5
    while redis.llen("gateway:doorbell:tickets") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert redis.keys("rq:job:*") == [] and redis.llen("gateway:doorbell:tickets") == 1
    run_worker(rq_gateway.runtime, burst=True)
    assert [e["report"]["reference"] for e in case_system.accepted()] == [reference]
    assert rq_gateway.get(f"/api/v1/tickets/{reference}").json["status"] == "delivered"


def test_work_lost_with_the_queue_is_found_in_the_database(rq_gateway, case_system):
    reference = rq_gateway.post_app({"text": "积水严重"}).json["reference"]
    Redis.from_url(TEST_REDIS).flushdb()          # the queue forgot everything
    run_worker(rq_gateway.runtime, burst=True)
    assert [e["report"]["reference"] for e in case_system.accepted()] == [reference]


def test_the_sweeper_never_enqueues_a_job_that_is_still_queued(rq_gateway, monkeypatch):
    from gateway import sweeper
    # Five texts the database says are due (whatever the channel: the sweeper only hands work to the queue).
    monkeypatch.setattr(sweeper, "pending_work", lambda runtime, limit=500: [("send_sms", n, False)
                                                                             for n in range(1, 6)])
    redis = Redis.from_url(TEST_REDIS)
    assert [sweep_into_queue(rq_gateway.runtime) for _ in range(3)] == [5, 0, 0]
    assert redis.llen("rq:queue:gateway") == 5
    job_key = "rq:job:send_sms-1"
    assert json.loads(zlib.decompress(redis.hget(job_key, "data")))[0] == "gateway.jobs.send_sms"
    # Once a job has run and is gone, its work (if still due) is swept in again.
    redis.delete(job_key)
    redis.lrem("rq:queue:gateway", 0, "send_sms-1")
    assert sweep_into_queue(rq_gateway.runtime) == 1
    assert redis.llen("rq:queue:gateway") == 5
