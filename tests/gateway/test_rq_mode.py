"""Production mode: the same jobs through RQ on a real Redis, JSON-serialized, deterministic job ids."""
from __future__ import annotations

import json
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
                      profile={"pipeline": {"stale_after_seconds": 0}})
    yield gw
    Redis.from_url(TEST_REDIS).flushdb()
    gw.runtime.engine.dispose()


def test_jobs_go_through_rq_as_json_and_reach_the_case_system(rq_gateway, case_system):
    reference = rq_gateway.post_app({"text": "东西湖区某路口信号灯故障"}).json["reference"]
    redis = Redis.from_url(TEST_REDIS)
    [job_key] = [k for k in redis.keys("rq:job:*")]
    assert job_key.decode() == "rq:job:normalize_ticket-1"
    assert json.loads(zlib.decompress(redis.hget(job_key, "data")))[0] == "gateway.jobs.normalize_ticket"
    run_worker(rq_gateway.runtime, burst=True)
    assert [e["report"]["reference"] for e in case_system.accepted()] == [reference]
    assert rq_gateway.get(f"/api/v1/tickets/{reference}").json["status"] == "delivered"


def test_work_lost_with_the_queue_is_found_by_the_sweeper(rq_gateway, case_system):
    reference = rq_gateway.post_app({"text": "积水严重"}).json["reference"]
    Redis.from_url(TEST_REDIS).flushdb()          # the queue forgot everything
    assert sweep_into_queue(rq_gateway.runtime) == 1
    run_worker(rq_gateway.runtime, burst=True)
    assert [e["report"]["reference"] for e in case_system.accepted()] == [reference]
