"""Finding 5: limits per sender, key, address and partner; an upload quota; orphaned attachment files swept."""
from __future__ import annotations

import io
import os
import time
from datetime import timedelta

import pytest
from redis import Redis

from gateway.attachment_sweep import sweep_orphan_attachments
from gateway.rate_limits import LocalCounters, RateLimits, RedisCounters, phone_sender
from tests.durability.support import free_port
from tests.harness.gateway import CLIENT_KEY, make_gateway
from tests.harness.services import REDIS_URL, require_service

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def redis_counters():
    require_service("Redis", "127.0.0.1", 6379)
    Redis.from_url(REDIS_URL).flushdb()
    yield RedisCounters(REDIS_URL)
    Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture(params=["in-process", "redis"])
def counters(request):
    return LocalCounters() if request.param == "in-process" else request.getfixturevalue("redis_counters")


def test_a_sender_over_the_limit_is_refused_alone(counters):
    limits = RateLimits({"sender_per_minute": 20}, counters)
    verdicts = [limits.check(senders=["wechat:flooder"]) for _ in range(25)]
    assert [v.allowed for v in verdicts] == [True] * 20 + [False] * 5
    assert 1 <= verdicts[-1].retry_after <= 60 and verdicts[-1].kind == "sender"
    assert limits.check(senders=["wechat:someone-else"]).allowed


def test_the_window_starts_again():
    clock = FakeClock()
    limits = RateLimits({"sender_per_minute": 2}, LocalCounters(clock))
    assert [limits.check(senders=["s"]).allowed for _ in range(3)] == [True, True, False]
    clock.now += 61
    assert limits.check(senders=["s"]).allowed


def test_two_web_servers_share_the_count_through_redis(redis_counters):
    one = RateLimits({"sender_per_minute": 10}, redis_counters)
    two = RateLimits({"sender_per_minute": 10}, RedisCounters(REDIS_URL))
    assert all(one.check(senders=["phone:13900001111"]).allowed for _ in range(5))
    assert all(two.check(senders=["phone:13900001111"]).allowed for _ in range(5))
    assert not one.check(senders=["phone:13900001111"]).allowed
    # No phone number in Redis: counters are named by a digest.
    assert not [k for k in Redis.from_url(REDIS_URL).keys("gateway:limit:*") if b"1390000" in k]


def test_redis_down_lets_reports_through():
    limits = RateLimits({"sender_per_minute": 1}, RedisCounters(f"redis://127.0.0.1:{free_port()}/0"))
    started = time.monotonic()
    assert all(limits.check(senders=["s"]).allowed for _ in range(5))
    assert time.monotonic() - started < 5


def test_one_phone_however_written_is_one_sender():
    assert {phone_sender(p) for p in ("+86 139 0000 1111", "0086-13900001111", "13900001111")} == {
        "phone:13900001111"}


def test_client_address_behind_trusted_proxies():
    limits = RateLimits({"trusted_proxies": ["10.0.0.0/8"]}, LocalCounters())
    # The client may write anything left of the proxy's own entry; the first untrusted hop from the right counts.
    assert limits.client_address("10.0.0.5", "6.6.6.6, 203.0.113.9, 10.0.0.7") == "203.0.113.9"
    assert limits.client_address("198.51.100.1", "6.6.6.6") == "198.51.100.1"   # not a trusted proxy
    assert limits.client_address("10.0.0.5", None) == "10.0.0.5"


def test_per_address_and_per_key_limits_are_off_by_default_and_429_when_set(sqlite_url, tmp_path):
    gw = make_gateway(sqlite_url, tmp_path)
    assert all(gw.get("/api/v1/tickets/NOPE-NOPE-1").status_code == 404 for _ in range(30))
    gw = make_gateway(sqlite_url, tmp_path / "b", profile={"limits": {
        "client_address_per_minute": 5, "trusted_proxies": ["127.0.0.1"]}})
    answers = [gw.client.get("/api/v1/tickets/NOPE-NOPE-1", headers={
        "Authorization": f"Bearer {CLIENT_KEY}", "X-Forwarded-For": "203.0.113.9"}) for _ in range(7)]
    assert [a.status_code for a in answers] == [404] * 5 + [429] * 2
    assert answers[-1].json["error"] == "rate_limited" and 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    other = gw.client.get("/api/v1/tickets/NOPE-NOPE-1", headers={
        "Authorization": f"Bearer {CLIENT_KEY}", "X-Forwarded-For": "203.0.113.10"})
    assert other.status_code == 404
    gw = make_gateway(sqlite_url, tmp_path / "c", profile={"limits": {"key_per_minute": 3}})
    assert [gw.get("/api/v1/tickets/NOPE-NOPE-1").status_code for _ in range(4)] == [404, 404, 404, 429]


def upload(gw, data: bytes):
    return gw.client.post("/api/v1/attachments", headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                          data={"file": (io.BytesIO(data), "p.png", "image/png")}, content_type="multipart/form-data")


def test_the_upload_quota_per_key_refuses_before_anything_is_written(sqlite_url, tmp_path):
    gw = make_gateway(sqlite_url, tmp_path, profile={"limits": {"upload_bytes_per_hour": 3000}})
    answers = [upload(gw, PNG) for _ in range(4)]
    assert [a.status_code for a in answers[:2]] == [201, 201] and answers[3].status_code == 429
    assert answers[3].headers["Retry-After"]
    folder = gw.runtime.settings.attachments_dir
    assert len(list(folder.iterdir())) == sum(a.status_code == 201 for a in answers)


def test_files_no_ticket_references_are_swept_after_the_grace_period(database_url, tmp_path):
    gw = make_gateway(database_url, tmp_path)
    used, unused = upload(gw, PNG).json, upload(gw, PNG).json
    assert gw.post_app({"text": "路边垃圾无人清运", "attachments": [{"id": used["id"]}]}).status_code == 201
    folder = gw.runtime.settings.attachments_dir
    # A file written while the database was down: on disk, no row.
    stray = folder / "0123456789abcdef"
    stray.write_bytes(PNG)
    assert sweep_orphan_attachments(gw.runtime) == 0          # within the grace period nothing goes
    later = gw.runtime.clock() + timedelta(hours=25)
    gw.runtime.clock = lambda: later
    old = time.time() - 3600          # an hour ago: more than the grace period before `later`
    for path in folder.iterdir():
        os.utime(path, (old, old))
    assert sweep_orphan_attachments(gw.runtime) == 2
    assert sorted(p.name for p in folder.iterdir()) == [used["id"]]
    fetched = gw.client.get(used["url"].split("8000", 1)[1])
    assert fetched.status_code == 200 and fetched.data == PNG
    assert gw.client.get(unused["url"].split("8000", 1)[1]).status_code == 404
    assert sweep_orphan_attachments(gw.runtime) == 0          # the used one is claimed, not read again
    gw.runtime.engine.dispose()


def test_the_openapi_document_names_the_429(sqlite_gateway):
    paths = sqlite_gateway.client.get("/openapi.json").json["paths"]
    for path in ("/channels/app", "/channels/webhook/{source}", "/channels/hotline", "/api/v1/attachments"):
        limited = paths[path]["post"]["responses"]["429"]
        assert "Retry-After" in limited["headers"]
    assert "429" not in paths["/api/v1/case-updates"]["post"]["responses"]
