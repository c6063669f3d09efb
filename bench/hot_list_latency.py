"""`GET /api/v1/hot` latency with 100,000 open cases in PostgreSQL (the issue's target: p99 ≤ 50 ms).

    .venv/bin/python bench/hot_list_latency.py [--cases 100000] [--requests 300] \
        [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Creates a fresh database, writes the hot tables for `--cases` open cases as the join hook would have left them
(`hot_buckets` minute and hour rows per report by gateway receipt, `hot_cases` with each case's bound = its exact
count when its newest report joined, `hot_groups` and `hot_group_counts` per category × district), vacuums and
analyzes as autovacuum would, then asks the app for each
window `--requests` times through the WSGI test client (the server side: routing, auth, queries, JSON; no
network) and prints p50/p95/p99 per window. The cases: opened uniformly over 30 days, 1 + geometric(0.4) reports
each within days of opening, plus 300 bursts (20–300 reports in the last two days). Figures go to stdout and
bench/out/hot-list-latency.json.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from config import load_settings  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.hot import DAY, GROUP_SPANS, HOUR, MINUTE, WINDOWS, group_window_start  # noqa: E402
from gateway.runtime import build_runtime  # noqa: E402
from gateway.store import make_engine, migrate  # noqa: E402

KEY = "bench-operator-secret"
DISTRICTS = [f"区{i}" for i in range(15)]
CATEGORIES = [f"类{i // 10}/子类{i}" for i in range(100)]


def fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"gw_bench_hot_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def report_times(n_cases: int, now: int, rng: random.Random) -> list[list[int]]:
    out = []
    for _ in range(n_cases):
        opened = now - rng.randrange(30 * DAY)
        k = 1
        while rng.random() < 0.4:
            k += 1
        out.append(sorted(min(now, opened + int(rng.expovariate(1 / DAY)) if i else opened) for i in range(k)))
    for i in range(300):
        start = now - rng.randrange(2 * DAY)
        out[rng.randrange(n_cases)] = sorted(min(now, start + rng.randrange(3 * HOUR))
                                             for _ in range(rng.randint(20, 300)))
    return out


def exact(times: list[int], minutes: int, until: int) -> int:
    last = until - until % MINUTE
    first = last - (minutes - 1) * MINUTE
    return sum(1 for t in times if first <= t - t % MINUTE <= last)


def copy_rows(raw, table: str, columns: list[str], rows) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    with raw.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buf.getvalue())


def load(url: str, n_cases: int, rng: random.Random) -> dict:
    engine = make_engine(url)
    migrate(engine)
    now = int(time.time())
    cases = report_times(n_cases, now, rng)
    iso = lambda t: datetime.fromtimestamp(t, timezone.utc).isoformat()  # noqa: E731
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        copy_rows(driver, "cases", ["id", "status", "priority", "next_sequence", "opened_at", "updated_at"],
                  ((i + 1, "open", "normal", 1, iso(t[0]), iso(t[-1])) for i, t in enumerate(cases)))
        buckets, groups, summaries, openings = Counter(), Counter(), [], {}
        for i, times in enumerate(cases):
            cat, dist = rng.choice(CATEGORIES), rng.choice(DISTRICTS)
            openings.setdefault((cat, dist), []).append(times[0])
            for n, t in enumerate(times):
                buckets[(i + 1, MINUTE, t - t % MINUTE)] += 1
                buckets[(i + 1, HOUR, t - t % HOUR)] += 1
                for span in set(GROUP_SPANS.values()):
                    groups[(cat, dist, span, t - t % span, "r")] += 1
                    if n == 0:
                        groups[(cat, dist, span, t - t % span, "c")] += 1
            bounds = [exact(times, m, times[-1]) for m in WINDOWS.values()]
            summaries.append((i + 1, f"案件{i + 1}", dist, cat, len(times), iso(times[0]), iso(times[-1]), *bounds))
        copy_rows(driver, "hot_buckets", ["case_id", "span", "bucket", "reports"],
                  (k + (n,) for k, n in buckets.items()))
        copy_rows(driver, "hot_cases", ["case_id", "title", "district", "category", "reports", "first_at", "last_at",
                                        "bound_1h", "bound_24h", "bound_7d"], summaries)
        group_ids = {key: n + 1 for n, key in enumerate(sorted(openings))}
        group_summaries = []
        for (cat, dist), opened in openings.items():
            newest = max(opened)
            bounds = [sum(1 for t in opened if group_window_start(w, newest) <= t - t % GROUP_SPANS[w] <= newest)
                      for w in WINDOWS]
            group_summaries.append((group_ids[(cat, dist)], cat, dist, iso(newest), *bounds))
        copy_rows(driver, "hot_groups", ["id", "category", "district", "last_at", "bound_1h", "bound_24h",
                                         "bound_7d"], group_summaries)
        group_rows = {}
        for (cat, dist, span, bucket, kind), n in groups.items():
            row = group_rows.setdefault((group_ids[(cat, dist)], span, bucket), [0, 0])
            row[0 if kind == "r" else 1] += n
        copy_rows(driver, "hot_group_counts", ["group_id", "span", "bucket", "reports", "cases"],
                  (k + tuple(v) for k, v in group_rows.items()))
        driver.commit()
        driver.autocommit = True
        with driver.cursor() as cur:
            cur.execute("VACUUM ANALYZE")   # what autovacuum does for a live store
    finally:
        raw.close()
        engine.dispose()
    return {"cases": n_cases, "reports": sum(len(t) for t in cases), "bucket_rows": len(buckets),
            "group_rows": len(group_rows)}


def measure(url: str, requests: int, tmp: Path) -> dict:
    env = {"GATEWAY_DATABASE_URL": url, "GATEWAY_VAR_DIR": str(tmp), "GATEWAY_API_KEYS": f"ops:{KEY}:operator"}
    runtime = build_runtime(load_settings(environ=env, dotenv_path=None))
    client = create_app(runtime=runtime, start_worker=False).test_client()
    headers = {"Authorization": f"Bearer {KEY}"}
    out = {}
    for window in WINDOWS:
        for _ in range(10):   # warm-up: connections, caches
            client.get(f"/api/v1/hot?window={window}", headers=headers)
        seconds = []
        for _ in range(requests):
            started = time.perf_counter()
            answer = client.get(f"/api/v1/hot?window={window}", headers=headers)
            seconds.append(time.perf_counter() - started)
            assert answer.status_code == 200
        body = answer.get_json()
        seconds.sort()
        out[window] = {"p50_ms": round(statistics.median(seconds) * 1000, 1),
                       "p95_ms": round(seconds[int(0.95 * len(seconds)) - 1] * 1000, 1),
                       "p99_ms": round(seconds[int(0.99 * len(seconds)) - 1] * 1000, 1),
                       "cases_listed": len(body["cases"]), "groups_listed": len(body["groups"]),
                       "top": body["cases"][0]["reports_in_window"] if body["cases"] else 0}
    runtime.engine.dispose()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--keep", action="store_true", help="keep the database (its URL is printed) for a closer look")
    args = p.parse_args()
    url, name = fresh_database(args.admin_url)
    out_dir = Path(__file__).resolve().parent / "out"
    out_dir.mkdir(exist_ok=True)
    try:
        started = time.perf_counter()
        loaded = load(url, args.cases, random.Random(args.seed))
        print(f"loaded {loaded} in {time.perf_counter() - started:.0f} s")
        figures = measure(url, args.requests, out_dir)
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            drop_database(args.admin_url, name)
    for window, row in figures.items():
        print(f"window {window:>3}: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, p99 {row['p99_ms']} ms "
              f"({row['cases_listed']} cases, {row['groups_listed']} groups, top {row['top']} reports)")
    (out_dir / "hot-list-latency.json").write_text(json.dumps({"load": loaded, "latency": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
