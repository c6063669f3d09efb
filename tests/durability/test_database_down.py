"""The database unreachable: a TCP proxy between the gateway and PostgreSQL is cut and restored.

While it is cut a submission gets a quick 503 JSON (retry later), never a 500 and never a hang, and nothing is
half-written; once restored, the same request (same Idempotency-Key) makes exactly one ticket.
"""
from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from gateway.tables import submissions, tickets
from tests.durability.support import TcpProxy, process_environ, report

pytestmark = [pytest.mark.durability, pytest.mark.timeout(120)]

QUICK = 8.0  # seconds: an answer slower than this counts as a hang


@pytest.fixture
def db_proxy(pg_url):
    """A proxy to the test's PostgreSQL database; yields (proxy, the database URL through it)."""
    parts = urlsplit(pg_url)
    proxy = TcpProxy((parts.hostname, parts.port or 5432))
    proxy.start()
    yield proxy, pg_url.replace(f"@{parts.hostname}:{parts.port}/", f"@127.0.0.1:{proxy.port}/")
    proxy.close()


def claims(engine, key: str | None = None) -> int:
    query = select(func.count()).select_from(submissions)
    if key is not None:
        query = query.where(submissions.c.idem_key == f"app:{key}")
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def ticket_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tickets)).scalar()


def orphans(engine) -> int:
    """Tickets without the submission that claimed them: a half-written intake."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(tickets).where(
            ~tickets.c.id.in_(select(submissions.c.ticket_id).where(submissions.c.ticket_id.isnot(None))))).scalar()


def test_store_unreachable_is_a_quick_503_and_the_retry_makes_one_ticket(pg_url, db_proxy, redis_url, profile,
                                                                          tmp_path, engine_for, procs):
    proxy, proxied_url = db_proxy
    env = process_environ(proxied_url, tmp_path / "var", profile, GATEWAY_REDIS_URL=redis_url)
    direct = engine_for(pg_url)  # the test looks at the database around the proxy
    server = procs.serve(env)
    assert server.post_app(report(0, "db-down"), idem="db-down-0").status_code == 201

    proxy.cut()
    body = report(1, "db-down")
    for attempt in range(3):  # the pooled connections are dead and new ones are refused: every try is a 503
        started = time.monotonic()
        response = server.post_app(body, idem="db-down-1", timeout=30)
        took = time.monotonic() - started
        assert response.status_code == 503, (attempt, response.status_code, response.text)
        assert took < QUICK, f"answered after {took:.1f} s"
        assert response.json()["error"] == "store_unavailable" and response.json()["message"]
        assert response.headers.get("Retry-After")
    assert server.get("/readyz").status_code == 503
    assert server.get("/healthz").status_code == 200
    assert (ticket_count(direct), claims(direct), orphans(direct)) == (1, 1, 0)

    proxy.restore()
    created = server.post_app(body, idem="db-down-1")
    assert created.status_code == 201, created.text
    repeat = server.post_app(body, idem="db-down-1")
    assert repeat.status_code == 200 and repeat.json() == created.json()
    assert (ticket_count(direct), claims(direct, "db-down-1"), orphans(direct)) == (2, 1, 0)
    assert server.get("/readyz").status_code == 200


def test_cut_during_a_burst_leaves_no_half_written_submission(pg_url, db_proxy, redis_url, profile, tmp_path,
                                                              engine_for, procs):
    """Cut while many requests are mid-transaction: each answer is 201 or a quick 503, and after restore every
    503'd key, retried, gives 201 (nothing was stored) or 200 (its commit had landed before the cut)."""
    proxy, proxied_url = db_proxy
    env = process_environ(proxied_url, tmp_path / "var", profile, GATEWAY_REDIS_URL=redis_url)
    direct = engine_for(pg_url)
    server = procs.serve(env)
    results: list[tuple[str, int, float]] = []
    bodies: dict[str, dict] = {}
    stop = threading.Event()

    def client(number: int) -> None:
        from tests.durability.support import Server
        own = Server(server.proc, server.base_url)  # a session per thread
        n = 0
        while not stop.is_set():
            key = f"burst-{number}-{n}"
            bodies[key] = report(n, f"burst{number}")
            started = time.monotonic()
            try:
                status = own.post_app(bodies[key], idem=key, timeout=30).status_code
            except Exception as exc:  # a dropped connection is a failure too
                status = -1
                print(exc)
            results.append((key, status, time.monotonic() - started))
            n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    proxy.cut()
    time.sleep(2.0)
    proxy.restore()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(QUICK * 2)

    statuses = {status for _, status, _ in results}
    assert statuses <= {201, 503}, sorted(statuses)
    assert 201 in statuses and 503 in statuses, "the cut should have hit some requests and missed others"
    assert max(took for _, _, took in results) < QUICK
    refused = [key for key, status, _ in results if status == 503]
    retried = {key: server.post_app(bodies[key], idem=key).status_code for key in refused}
    # 200: the commit had reached the database when the connection died; the caller now gets the first answer.
    assert set(retried.values()) <= {200, 201}, retried
    assert claims(direct) == ticket_count(direct) == len(results)
    assert orphans(direct) == 0


def test_a_hanging_database_is_a_quick_503_too(pg_url, db_proxy, redis_url, profile, tmp_path, engine_for, procs):
    """The proxy keeps the connections open but forwards nothing: the intake must still give up within seconds."""
    proxy, proxied_url = db_proxy
    env = process_environ(proxied_url, tmp_path / "var", profile, GATEWAY_REDIS_URL=redis_url)
    server = procs.serve(env)
    assert server.post_app(report(0, "db-hang"), idem="db-hang-0").status_code == 201  # a pooled connection now

    proxy.freeze()
    try:
        response = server.post_app(report(1, "db-hang"), idem="db-hang-1", timeout=QUICK)
        assert response.status_code == 503, response.text
    finally:
        proxy.thaw()
