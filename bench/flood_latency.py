"""What one flooding sender does to everyone else's `POST /channels/app` latency, with and without the limits.

    .venv/bin/python bench/flood_latency.py [--seconds 15] [--flooders 4] [--honest-rate 5] \
        [--database-url URL] [--redis-url URL]

Serves the gateway (embedded by default: SQLite in a temporary folder, in-process limiter; with
`--database-url postgresql://…` and `--redis-url redis://…` the production store and the Redis-shared limiter)
on a threaded HTTP server in this process, on a free port. Three phases of `--seconds` each:

- `quiet`: honest citizens only, `--honest-rate` reports a second, each from another app user;
- `flood, limits on`: the same, while `--flooders` keep-alive connections post as fast as they can as one app
  user (the profile's default `sender_per_minute = 20`: after 20, every answer is a 429);
- `flood, limits off`: the same flood with `sender_per_minute = 0`: every flood report is stored and enqueued.

Prints, per phase, the honest reports' p50/p90/p99/max latency in ms and statuses, and the flood's request rate and
statuses; writes bench/out/flood-latency.json. The load runs on the same machine as the server (and, embedded, in
the same process): quote the machine's cores and load with any figure.
"""
from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from werkzeug.serving import make_server  # noqa: E402

from config import load_settings  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.runtime import build_runtime  # noqa: E402

KEY = "bench-client-secret-0001"


def serve(var_dir: str, args, sender_limit: int):
    env = {"GATEWAY_VAR_DIR": var_dir, "GATEWAY_API_KEYS": f"app:{KEY}",
           "GATEWAY_DATABASE_URL": args.database_url or f"sqlite:///{var_dir}/gateway.db"}
    if args.redis_url:
        env["GATEWAY_REDIS_URL"] = args.redis_url
    settings = load_settings(environ=env, dotenv_path=None,
                             overrides={"profile": {"limits": {"sender_per_minute": sender_limit}}})
    app = create_app(runtime=build_runtime(settings))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def post(conn: http.client.HTTPConnection, user: str, text: str) -> tuple[int, float]:
    body = json.dumps({"text": text, "contact": {"user_id": user}}, ensure_ascii=False).encode()
    started = time.perf_counter()
    conn.request("POST", "/channels/app", body=body, headers={
        "Authorization": f"Bearer {KEY}", "Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex})
    response = conn.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


def honest(port: int, rate: float, stop: threading.Event, out: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    next_at = time.perf_counter()
    while not stop.is_set():
        n += 1
        out.append(post(conn, f"citizen-{uuid.uuid4().hex[:8]}", f"汉阳区钟家村小区{n}栋门口路灯坏了"))
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.perf_counter()))


def flooder(port: int, stop: threading.Event, out: Counter) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    while not stop.is_set():
        n += 1
        status, _ = post(conn, "the-flooder", f"刷屏第{n}条")
        out[status] += 1


def phase(name: str, args, sender_limit: int, flood: bool) -> dict:
    with tempfile.TemporaryDirectory() as var_dir:
        server = serve(var_dir, args, sender_limit)
        stop, latencies, flood_statuses = threading.Event(), [], Counter()
        threads = [threading.Thread(target=honest, args=(server.port, args.honest_rate, stop, latencies))]
        if flood:
            threads += [threading.Thread(target=flooder, args=(server.port, stop, flood_statuses))
                        for _ in range(args.flooders)]
        load_before = os.getloadavg()[0]
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join()
        server.shutdown()
    ms = sorted(m for _, m in latencies)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {"phase": name, "honest_reports": len(ms), "honest_statuses": dict(Counter(s for s, _ in latencies)),
            "p50_ms": round(q[49], 1), "p90_ms": round(q[89], 1), "p99_ms": round(q[98], 1),
            "max_ms": round(ms[-1], 1), "flood_requests": sum(flood_statuses.values()),
            "flood_per_second": round(sum(flood_statuses.values()) / args.seconds, 1),
            "flood_statuses": dict(flood_statuses), "load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--flooders", type=int, default=4)
    p.add_argument("--honest-rate", type=float, default=5, help="honest reports a second (each another user)")
    p.add_argument("--database-url", default=None)
    p.add_argument("--redis-url", default=None)
    args = p.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # one access line per request would be the bench
    results = [phase("quiet", args, 20, flood=False), phase("flood, limits on", args, 20, flood=True),
               phase("flood, limits off", args, 0, flood=True)]
    print(f"{'phase':<20} {'honest':>6} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}  honest statuses   "
          f"{'flood/s':>7}  flood statuses   load 1m")
    for r in results:
        print(f"{r['phase']:<20} {r['honest_reports']:>6} {r['p50_ms']:>7} {r['p90_ms']:>7} {r['p99_ms']:>7} "
              f"{r['max_ms']:>7}  {str(r['honest_statuses']):<17} {r['flood_per_second']:>7}  "
              f"{str(r['flood_statuses']):<16} {r['load_1m'][0]}→{r['load_1m'][1]}")
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "flood-latency.json").write_text(json.dumps({"args": vars(args), "results": results}, indent=2,
                                                       ensure_ascii=False))


if __name__ == "__main__":
    main()
