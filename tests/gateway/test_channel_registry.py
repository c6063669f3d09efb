"""The registry is the one place a channel is added: the app, the job table, the sweeper and the OpenAPI document
all follow it."""
from __future__ import annotations

from flask import Blueprint, jsonify
from rq.utils import import_attribute

from gateway import registry
from gateway.channel_spec import ChannelSpec
from gateway.web.openapi import build_spec
from gateway.web.openapi_ops import op
from tests.harness.gateway import make_gateway


def _toy_channel(seen: list) -> ChannelSpec:
    bp = Blueprint("toy", __name__)

    @bp.post("/channels/toy")
    def toy():
        return jsonify({"ok": True}), 201

    def pending(runtime, limit):
        seen.append(limit)
        return [("toy_job", 7, True)]

    return ChannelSpec(name="toy", blueprint=bp, is_on=lambda settings: True, pending_work=pending,
                       openapi_paths={"/channels/toy": {"post": op("A toy report", ok="201")}})


def test_every_registered_channel_is_served_documented_and_its_jobs_resolve(sqlite_url, tmp_path):
    gw = make_gateway(sqlite_url, tmp_path)
    rules = {rule.rule for rule in gw.app.url_map.iter_rules()}
    paths = build_spec()["paths"]
    for channel in registry.CHANNELS:
        assert channel.blueprint.name in gw.app.blueprints
        for path in channel.openapi_paths:
            assert path in paths
            assert path.replace("{", "<").replace("}", ">") in rules
        for job in channel.jobs:
            # RQ finds a job by its dotted name, as the worker in another process would.
            assert callable(import_attribute(f"gateway.jobs.{job}"))
    assert {c.name for c in registry.CHANNELS} >= {"app", "webhook", "wechat", "hotline", "sms"}


def test_a_new_spec_in_the_registry_is_all_it_takes(sqlite_url, tmp_path, monkeypatch):
    seen: list = []
    monkeypatch.setattr(registry, "CHANNELS", (*registry.CHANNELS, _toy_channel(seen)))
    gw = make_gateway(sqlite_url, tmp_path)
    assert gw.client.post("/channels/toy").status_code == 201
    assert "/channels/toy" in build_spec()["paths"]
    from gateway.sweeper import pending_work
    assert ("toy_job", 7, True) in pending_work(gw.runtime) and seen
    from gateway.app import channel_states
    assert channel_states(gw.runtime)["toy"] is True
    gw.runtime.engine.dispose()
