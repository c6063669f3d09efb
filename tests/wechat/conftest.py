"""Fixtures for the WeChat channel: a gateway with the account configured, WeChat's server and API faked."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from gateway.embedded import run_pending
from gateway.jobs import JOB_FUNCTIONS
from gateway.tables import tickets
from gateway.wechat.media import pending_media_work
from tests.harness.gateway import DOWNSTREAM_SECRET, Gateway, make_gateway
from tests.wechat.fake_api import FakeWeChatAPI
from tests.wechat.simulator import AES_KEY, APP_ID, APP_SECRET, TOKEN, Clock, WeChatServer


@dataclass
class WeChatRig:
    gw: Gateway
    wechat: WeChatServer
    clock: Clock
    api: FakeWeChatAPI

    @property
    def runtime(self):
        return self.gw.runtime

    def drain(self) -> int:
        """Run the pipeline, media downloads included, until nothing is left."""
        ran = 0
        for _ in range(20):
            step = run_pending(self.runtime)
            for job, arg, _urgent in pending_media_work(self.runtime):
                JOB_FUNCTIONS[job](arg, runtime=self.runtime)
                step += 1
            ran += step
            if not step:
                break
        return ran

    def tickets(self) -> list:
        with self.runtime.engine.connect() as conn:
            return conn.execute(select(tickets).order_by(tickets.c.id)).all()


@pytest.fixture
def wechat_api():
    with FakeWeChatAPI(APP_ID, APP_SECRET) as api:
        yield api


def build_rig(database_url, tmp_path, case_system, api, profile: dict | None = None, **env) -> WeChatRig:
    settings = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET,
                "WECHAT_ENCODING_AES_KEY": AES_KEY, "DOWNSTREAM_URL": case_system.url}
    settings.update(env)
    merged = {"delivery": {"backoff_base_seconds": 0, "backoff_max_seconds": 0},
              "wechat": {"api_base_url": api.url}}
    for section, values in (profile or {}).items():
        merged.setdefault(section, {}).update(values)
    gw = make_gateway(database_url, tmp_path, profile=merged, **{k: v for k, v in settings.items() if v is not None})
    clock = Clock()
    gw.runtime.clock = clock
    return WeChatRig(gw, WeChatServer(gw.client, clock), clock, api)


@pytest.fixture
def rig(database_url, tmp_path, case_system, wechat_api):
    """The WeChat rig on SQLite and on PostgreSQL."""
    made = build_rig(database_url, tmp_path, case_system, wechat_api)
    yield made
    made.runtime.engine.dispose()


@pytest.fixture
def sqlite_rig(sqlite_url, tmp_path, case_system, wechat_api):
    """The WeChat rig on SQLite only (adapter behaviour that does not depend on the store)."""
    made = build_rig(sqlite_url, tmp_path, case_system, wechat_api)
    yield made
    made.runtime.engine.dispose()


__all__ = ["DOWNSTREAM_SECRET", "WeChatRig", "build_rig"]
