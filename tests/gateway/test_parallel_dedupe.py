"""Two workers handling duplicates at the same moment still end in one case (real processes, real PostgreSQL)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import func, select

from gateway.tables import outbox, tickets
from tests.harness.gateway import make_gateway, test_environ
from tests.harness.services import REDIS_URL, require_service

ROOT = Path(__file__).resolve().parents[2]
TEST_REDIS = REDIS_URL
WORKER = """
import sys, time
from config import load_settings
from gateway.pipeline import process_batch
from gateway.runtime import build_runtime
runtime = build_runtime(load_settings(dotenv_path=None))
time.sleep(max(0, float(sys.argv[1]) - time.time()))
while process_batch(runtime, int(sys.argv[2])):  # small batches, so the two workers' batches interleave
    pass
"""
VARIANTS = ["武昌区中南路某小区门口的下水道堵了，污水横流，气味很大",
            "中南路某小区门口下水道堵塞，污水流到路上，味道很难闻",
            "武昌区中南路某小区门口下水道又堵了污水横流"]


def _run_workers(env: dict, batch_sizes: tuple[int, ...]) -> None:
    """One worker process per batch size, all starting on the same instant 4 s from now; each must exit cleanly."""
    start_at = time.time() + 4
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(start_at), str(size)],
                                cwd=ROOT, env=env, stderr=subprocess.PIPE) for size in batch_sizes]
    for worker in workers:
        _, err = worker.communicate(timeout=90)
        assert worker.returncode == 0, err.decode()[-2000:]


def test_simultaneous_duplicates_end_in_one_case(pg_database, tmp_path, case_system):
    require_service("Redis", "127.0.0.1", 6379)
    from tests.conftest import _truncate
    _truncate(pg_database)
    Redis.from_url(TEST_REDIS).flushdb()
    env = dict(os.environ, **test_environ(pg_database, tmp_path, GATEWAY_REDIS_URL=TEST_REDIS,
                                          DOWNSTREAM_URL=case_system.url))
    gw = make_gateway(pg_database, tmp_path, GATEWAY_REDIS_URL=TEST_REDIS, DOWNSTREAM_URL=case_system.url)
    for i in range(12):  # one incident, reported by twelve citizens in three wordings
        gw.post_app({"text": VARIANTS[i % 3], "contact": {"user_id": f"citizen-{i}"}})
    # Two worker processes, each with its own runtime, start on the same instant and claim batches of 1 and 2
    # (FOR UPDATE SKIP LOCKED): their batches' dedupe decisions race, and within a batch the reports see each other.
    _run_workers(env, (1, 2))
    with gw.runtime.engine.connect() as conn:
        cases = conn.execute(select(func.count(func.distinct(tickets.c.case_id)))).scalar()
        placed = conn.execute(select(func.count()).select_from(tickets).where(tickets.c.case_id.is_not(None))).scalar()
        opened = conn.execute(select(func.count()).select_from(outbox).where(outbox.c.type == "case.opened")).scalar()
    assert placed == 12 and cases == 1 and opened == 1
    Redis.from_url(TEST_REDIS).flushdb()
    gw.runtime.engine.dispose()


# bench/open_loop.py's flood: one burst water main, four wordings (the bench's floods are all on 解放大道).
FLOOD = ["{p}主水管爆裂，路面大量积水，附近小区全部停水", "{p}水管爆了，水漫到马路上，我们小区停水了",
         "{p}自来水管破裂喷水，整条路都是水，家里没水用", "{p}爆管了，路上全是水，什么时候能来水"]


@pytest.mark.parametrize("engine", ["rules", "fitted"])
def test_two_floods_on_one_road_make_one_case_each(pg_database, tmp_path, case_system, engine):
    # The open-loop bench's floods ended in 1, 2, 1, 2 cases (rules engine): a later flood's first reports joined the
    # earlier flood's case 1,400 door numbers away (its same wording scored 0.98 against a 0.5 threshold), whatever
    # the backlog or the number of workers. Two workers here, as in the bench; one worker alone did the same.
    require_service("Redis", "127.0.0.1", 6379)
    from tests.conftest import _truncate
    _truncate(pg_database)
    Redis.from_url(TEST_REDIS).flushdb()
    profile = tmp_path / "engine.toml"
    profile.write_text(f'[dedupe]\nengine = "{engine}"\n')
    extra = {"GATEWAY_REDIS_URL": TEST_REDIS, "DOWNSTREAM_URL": case_system.url, "GATEWAY_PROFILE": str(profile)}
    env = dict(os.environ, **test_environ(pg_database, tmp_path, **extra))
    gw = make_gateway(pg_database, tmp_path, **extra)
    floods = {"江岸区解放大道354号": [], "江岸区解放大道1731号": []}
    for place, refs in floods.items():
        for i in range(8):
            answer = gw.post_app({"text": FLOOD[i % 4].format(p=place), "contact": {"user_id": f"{place}-{i}"}})
            refs.append(answer.get_json()["reference"])
        # Everyday traffic on the same road in between (other numbers, other problems).
        gw.post_app({"text": f"江岸区解放大道{len(refs) * 97}号附近路灯坏了好几天，晚上很黑",
                     "contact": {"user_id": f"{place}-lamp"}})
    _run_workers(env, (3, 5))
    with gw.runtime.engine.connect() as conn:
        case_of = {place: {r.case_id for r in conn.execute(select(tickets.c.case_id).where(
            tickets.c.reference.in_(refs)))} for place, refs in floods.items()}
    first, second = case_of.values()
    assert len(first) == 1 and len(second) == 1 and first != second, case_of
    Redis.from_url(TEST_REDIS).flushdb()
    gw.runtime.engine.dispose()
