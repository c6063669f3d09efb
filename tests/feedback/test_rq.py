"""Production mode: notices and overdue escalations go through RQ on a real Redis like every other job."""
from __future__ import annotations

from datetime import datetime, timezone

from redis import Redis

from gateway.sweeper import sweep_into_queue
from gateway.worker import run_worker
from tests.feedback.conftest import APP_CALLBACK_SECRET
from tests.harness.gateway import DOWNSTREAM_SECRET, PARTNER_SECRET, make_gateway
from tests.harness.services import REDIS_URL, require_service


def test_notices_and_escalations_run_as_rq_jobs(database_url, tmp_path, case_system, app_backend):
    require_service("Redis", "127.0.0.1", 6379)
    Redis.from_url(REDIS_URL).flushdb()
    gw = make_gateway(database_url, tmp_path, DOWNSTREAM_URL=case_system.url, GATEWAY_REDIS_URL=REDIS_URL,
                      GATEWAY_APP_CALLBACK_URL=app_backend.url, GATEWAY_APP_CALLBACK_SECRET=APP_CALLBACK_SECRET,
                      profile={"pipeline": {"stale_after_seconds": 0}, "notify": {"quiet_hours": ""}})
    try:
        app_ref = gw.post_app({"text": "东西湖区某路口信号灯故障", "contact": {"user_id": "u-rq"}}).json["reference"]
        run_worker(gw.runtime, burst=True)
        case_id = gw.get(f"/api/v1/tickets/{app_ref}").json["case"]["id"]
        body = {"case_id": case_id, "status": "accepted", "message": None, "unit": "东西湖区交通大队",
                "updated_at": datetime.now(timezone.utc).isoformat()}
        assert gw.post_signed("/api/v1/case-updates", body, secret=DOWNSTREAM_SECRET).status_code == 200
        Redis.from_url(REDIS_URL).flushdb()          # the queue forgot the notice job: the sweeper finds it
        assert sweep_into_queue(gw.runtime) >= 1
        run_worker(gw.runtime, burst=True)
        (notice,) = [e for e in app_backend.accepted() if e["type"] == "citizen.notice"]
        assert notice["reference"] == app_ref and notice["unit"] == "东西湖区交通大队"
        sweep_into_queue(gw.runtime)
        run_worker(gw.runtime, burst=True)
        assert len([e for e in app_backend.accepted() if e["type"] == "citizen.notice"]) == 1   # never twice

        # A partner report from September 2025, taken in then; by December nobody answered: level 3, once.
        received = datetime(2025, 9, 24, 2, 0, tzinfo=timezone.utc)
        gw.runtime.clock = lambda: received
        old_ref = gw.post_signed("/channels/webhook/110", {"text": "青山区某厂房噪音扰民多日",
                                                           "received_at": received.isoformat()},
                                 secret=PARTNER_SECRET, now=received.timestamp()).json["reference"]
        run_worker(gw.runtime, burst=True)
        gw.runtime.clock = lambda: datetime(2025, 12, 1, 2, 0, tzinfo=timezone.utc)
        assert sweep_into_queue(gw.runtime) >= 1
        run_worker(gw.runtime, burst=True)
        gw.runtime.clock = lambda: datetime.now(timezone.utc)
        sweep_into_queue(gw.runtime)
        run_worker(gw.runtime, burst=True)
        overdue = [e for e in case_system.accepted() if e["type"] == "case.overdue"]
        assert [(e["report"], e["overdue"]["level"]) for e in overdue] == [(None, 3)]
        assert overdue[0]["case"]["id"] == gw.get(f"/api/v1/tickets/{old_ref}").json["case"]["id"]
    finally:
        Redis.from_url(REDIS_URL).flushdb()
        gw.runtime.engine.dispose()
