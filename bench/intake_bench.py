"""Intake acknowledgement latency and rate: POST /channels/app under gunicorn, beside a bare Flask endpoint.

`python bench/intake_bench.py [--requests 5000] [--concurrency 16] [--rq-workers 2] [--skip-pipeline]`

Three phases, each on its own gunicorn (`-w 4 -k gthread --threads 4`, the same for all) on 127.0.0.1:
  bare      bench/bare_app.py: Flask answering 201 JSON, nothing else (the floor of this stack on this machine)
  gateway   wsgi:app on a fresh PostgreSQL database and a private Redis; no worker (the queue only grows)
  +workers  the same with `python -m gateway worker` processes consuming the queue and a local sink as the case
            system, so acknowledgement competes with the pipeline for the CPU; then the end-to-end rate
            (tickets from first acknowledgement to last `delivered`)
The load generator is one process of `--concurrency` threads, each with its own keep-alive http.client
connection; it runs on the same machine and its CPU share is reported. Results: a table on stdout, and
bench/out/intake-<time>.json (bench/out is not committed).
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
API_KEY = "bench-client-secret"
DOWNSTREAM_SECRET = "bench-case-system-secret"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

sys.path.insert(0, str(REPO))

DISTRICTS = ["江岸区", "江汉区", "硚口区", "汉阳区", "武昌区", "青山区", "洪山区", "东西湖区", "蔡甸区", "江夏区",
             "黄陂区", "新洲区", "汉南区"]
STREETS = ["解放大道", "中山大道", "建设大道", "京汉大道", "友谊大道", "和平大道", "中南路", "珞喻路", "鹦鹉大道",
           "武珞路", "雄楚大道", "光谷大道", "金银湖路", "知音湖大道", "纸坊大街"]
PROBLEMS = ["路灯坏了好几天，晚上很黑", "下水道堵塞，污水漫到路面", "工地夜间施工噪音扰民", "烧烤店油烟直排",
            "共享单车堆满人行道", "路面塌陷有个大坑", "小区垃圾多日无人清运", "公交站台顶棚玻璃碎了",
            "自来水发黄有异味", "车辆乱停堵塞消防通道", "公司拖欠工资两个月", "变压器异响担心安全",
            "广场舞音响太吵影响休息", "行道树倒伏压住电线", "井盖缺失很危险"]


def report_body(rng: random.Random) -> bytes:
    """A plausible app report; many distinct ones (some will be merged by the deduper, as in real life)."""
    text = f"{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randint(1, 3000)}号附近{rng.choice(PROBLEMS)}，请尽快处理"
    body = {"text": text, "contact": {"name": "市民", "phone": f"138{rng.randint(0, 99999999):08d}",
                                      "user_id": f"u{rng.randint(0, 10 ** 9)}"}}
    return json.dumps(body, ensure_ascii=False).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------------------
# The load generator


def run_load(port: int, total: int, concurrency: int, time_limit: float, seed: int) -> dict:
    """POST `total` reports with `concurrency` keep-alive connections (stops early at `time_limit` seconds)."""
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    deadline = time.monotonic() + time_limit
    run_id = uuid.uuid4().hex[:8]

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], Counter()
        while time.monotonic() < deadline:
            with lock:
                i = next(counter)
            if i >= total:
                break
            body = report_body(rng)
            headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json",
                       "Idempotency-Key": f"bench-{run_id}-{i}", "Content-Length": str(len(body))}
            started = time.perf_counter()
            try:
                conn.request("POST", "/channels/app", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                codes[response.status] += 1
            except (OSError, http.client.HTTPException) as exc:
                codes[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    load_before = os.getloadavg()[0]
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(time_limit + 60)
    wall = time.perf_counter() - wall_before
    cpu = time.process_time() - cpu_before
    result = summarize(latencies, statuses, wall, cpu)
    # The machine's 1-minute load before and after: other work on it shows here, and skews the figures.
    result["loadavg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def summarize(latencies: list[float], statuses: Counter, wall: float, cpu: float) -> dict:
    """Latency percentiles (ms) and rate of the answered requests."""
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p / 100 * len(ms)))], 2) if ms else float("nan")

    ok = sum(v for k, v in statuses.items() if k in (200, 201))
    return {"requests": len(ms), "ok": ok, "statuses": {str(k): v for k, v in statuses.items()},
            "wall_s": round(wall, 2), "rps": round(ok / wall, 1) if wall else 0.0,
            "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": round(ms[-1], 2) if ms else None,
            "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
            "client_cpu_share": round(cpu / wall, 2) if wall else None}


# --------------------------------------------------------------------------------------------------------------
# The processes around it


class Child:
    """A process of the bench, logging to bench/out/logs; stopped by its own handle."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, new_session: bool = False):
        logs = OUT / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log = open(logs / f"{name}.log", "wb")
        # A session of its own, as a systemd unit (or `setsid`) starts a service: with Linux autogroups the
        # scheduler shares the CPU between sessions first, so this decides who competes with whom.
        self.popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=new_session)

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()


def wait_http(port: int, path: str, child: Child, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.popen.poll() is not None:
            raise SystemExit(f"{child.name} exited; see bench/out/logs/{child.name}.log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{child.name} did not answer on port {port} within {timeout} s")


def gunicorn(name: str, spec: str, chdir: Path, env: dict[str, str], args) -> tuple[Child, int]:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-w", str(args.gunicorn_workers), "-k", "gthread",
            "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--chdir", str(chdir), spec]
    child = Child(name, argv, env, chdir)
    wait_http(port, "/healthz", child)
    return child, port


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}


def gateway_env(database_url: str, redis_url: str, downstream_url: str | None) -> dict[str, str]:
    env = base_env()
    env.update(GATEWAY_DATABASE_URL=database_url, GATEWAY_REDIS_URL=redis_url,
               GATEWAY_API_KEYS=f"bench:{API_KEY}", DOWNSTREAM_SECRET=DOWNSTREAM_SECRET,
               GATEWAY_VAR_DIR=str(OUT / "var"), GATEWAY_LOG_LEVEL="WARNING", PYTHONPATH=str(REPO))
    if downstream_url:
        env["DOWNSTREAM_URL"] = downstream_url
    if os.environ.get("GATEWAY_PROFILE"):
        env["GATEWAY_PROFILE"] = os.environ["GATEWAY_PROFILE"]  # a city profile overlay for the run (batch size …)
    return env


class PrivateRedis:
    """A redis-server for the bench only (no persistence), so the machine's Redis queues are never touched."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--daemonize", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        self.client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Sink:
    """The case system for the pipeline phase: answers 204 to every event, as fast as it can."""

    def __init__(self):
        owner = self
        self.count = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.count += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def fresh_database() -> tuple[str, str]:
    """A new, migrated PostgreSQL database: (URL, name)."""
    from sqlalchemy import create_engine, text

    from gateway.store import make_engine, migrate

    name = f"gw_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url, name


def drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pipeline_state(engine) -> dict:
    """Ticket counts by status, and the first acknowledgement and last delivery times."""
    from sqlalchemy import func, select

    from gateway.tables import outbox, tickets

    with engine.connect() as conn:
        by_status = dict(conn.execute(select(tickets.c.status, func.count()).group_by(tickets.c.status)).all())
        first = conn.execute(select(func.min(tickets.c.created_at))).scalar()
        last = conn.execute(select(func.max(outbox.c.delivered_at))).scalar()
        cases = conn.execute(select(func.count(func.distinct(tickets.c.case_id)))).scalar()
    return {"by_status": by_status, "first_ack": first, "last_delivery": last, "cases": cases}


# --------------------------------------------------------------------------------------------------------------
# The phases


def phase_bare(args) -> dict:
    env = base_env()
    child, port = gunicorn("gunicorn-bare", "bare_app:app", REPO / "bench", env, args)
    try:
        run_load(port, args.warmup, args.concurrency, args.time_limit, seed=1)
        return run_load(port, args.requests, args.concurrency, args.time_limit, seed=2)
    finally:
        child.stop()


def phase_gateway(args, redis: PrivateRedis, rq_workers: int) -> dict:
    from gateway.store import make_engine

    url, name = fresh_database()
    redis.client.flushall()
    sink = Sink() if rq_workers else None
    env = gateway_env(url, redis.url, sink.url if sink else None)
    label = f"gateway+{rq_workers}w" if rq_workers else "gateway"
    child, port = gunicorn(f"gunicorn-{label}", "wsgi:app", REPO, env, args)
    workers = [Child(f"rq-worker-{n}", [sys.executable, "-m", "gateway", "worker"], env, REPO)
               for n in range(rq_workers)]
    engine = make_engine(url)
    try:
        run_load(port, args.warmup, args.concurrency, args.time_limit, seed=3)
        result = run_load(port, args.requests, args.concurrency, args.time_limit, seed=4)
        load_end = time.time()
        queued = sum(redis.client.llen(f"rq:queue:{q}") for q in ("gateway", "gateway-urgent"))
        result["queue_depth_after_load"] = queued
        if rq_workers:
            result.update(drain(engine, load_end, args.drain_timeout))
        return result
    finally:
        for w in workers:
            w.stop()
        child.stop()
        engine.dispose()
        if sink:
            sink.stop()
        drop_database(name)


def drain(engine, load_end: float, timeout: float) -> dict:
    """Wait until every ticket is delivered (or `timeout`); the end-to-end figures."""
    deadline = time.monotonic() + timeout
    while True:
        state = pipeline_state(engine)
        total = sum(state["by_status"].values())
        delivered = state["by_status"].get("delivered", 0)
        if delivered == total or time.monotonic() > deadline:
            break
        time.sleep(1)
    span = (state["last_delivery"] - state["first_ack"]).total_seconds() if state["last_delivery"] else None
    return {"tickets": total, "delivered": delivered, "cases": state["cases"],
            "by_status": state["by_status"], "drained": delivered == total,
            "e2e_span_s": round(span, 1) if span else None,
            "e2e_tickets_per_s": round(delivered / span, 1) if span else None,
            "drain_after_load_s": round(state["last_delivery"].timestamp() - load_end, 1)
            if state["last_delivery"] else None}


def table(results: dict[str, dict]) -> str:
    lines = [f"{'phase':<14}{'ok':>7}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
             f"{'client cpu':>12}{'load 1m':>13}  other statuses",
             "-" * 103]
    for name, r in results.items():
        other = {k: v for k, v in r["statuses"].items() if k not in ("200", "201")}
        lines.append(f"{name:<14}{r['ok']:>7}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p90_ms']:>9.1f}"
                     f"{r['p99_ms']:>9.1f}{r['max_ms']:>9.1f}{r['client_cpu_share']:>12.2f}"
                     f"{'%.1f→%.1f' % tuple(r['loadavg_1m']):>13}  {other or '-'}")
    for name, r in results.items():
        if "e2e_tickets_per_s" in r:
            lines.append(f"{name}: pipeline {r['delivered']}/{r['tickets']} tickets delivered into {r['cases']} "
                         f"cases, {r['e2e_tickets_per_s']} tickets/s end to end over {r['e2e_span_s']} s "
                         f"(last delivery {r['drain_after_load_s']} s after the load ended)")
        if "queue_depth_after_load" in r:
            lines.append(f"{name}: RQ queue depth when the load ended: {r['queue_depth_after_load']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------------
# Open loop (`--open-loop`): fixed arrival rates, stepped up, under the repository's gunicorn.conf.py


def gunicorn_conf(name: str, spec: str, chdir: Path, env: dict[str, str],
                  new_session: bool = True) -> tuple[Child, int]:
    """gunicorn with the repository's gunicorn.conf.py (the production settings), on a free local port."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-c", str(REPO / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}",
            "--chdir", str(chdir), spec]
    child = Child(name, argv, env, chdir, new_session)
    wait_http(port, "/healthz", child)
    return child, port


class Sampler:
    """Every second: tickets not yet in a case, case events not yet delivered, the machine's load."""

    def __init__(self, engine, started: float):
        from sqlalchemy import func, select

        from gateway.tables import outbox, tickets
        self.samples: list[dict] = []
        self.stop = threading.Event()

        def run() -> None:
            while not self.stop.wait(1.0):
                try:
                    with engine.connect() as conn:
                        waiting = conn.execute(select(func.count()).select_from(tickets).where(
                            tickets.c.status.in_(["received", "normalized"]))).scalar()
                        pending = conn.execute(select(func.count()).select_from(outbox).where(
                            outbox.c.status == "pending")).scalar()
                except Exception:  # a sample missed is no reason to stop the bench
                    continue
                self.samples.append({"t": round(time.time() - started, 1), "tickets_waiting": waiting,
                                     "events_pending": pending, "load1": round(os.getloadavg()[0], 2)})

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


def open_loop_gateway(args, redis: PrivateRedis, mix_name: str) -> dict:
    """The gateway with its workers under stepped open-loop load with one mix; then the drain."""
    from open_loop import EventSink, Mix, step_up

    from gateway.store import make_engine
    url, name = fresh_database()
    redis.client.flushall()
    sink = EventSink(args.sink_delay_ms)
    env = gateway_env(url, redis.url, sink.url)
    web, port = gunicorn_conf(f"gunicorn-open-{mix_name}", "wsgi:app", REPO, env, not args.one_session)
    workers = [Child(f"worker-{mix_name}-{n}", [sys.executable, "-m", "gateway", "worker"], env, REPO,
                     not args.one_session) for n in range(args.workers)]
    engine = make_engine(url)
    started = time.time()
    sampler = Sampler(engine, started)
    acked: dict[str, float] = {}
    flood = 200 if mix_name == "flood" else 0
    mixes: dict[float, object] = {}

    def mix_for(rate: float):
        mixes[rate] = Mix(seed=int(rate) * 7 + len(mix_name), flood_size=flood)
        return mixes[rate]

    def after_step(step: dict) -> dict:
        last = sampler.samples[-1] if sampler.samples else {}
        peak = max((s["tickets_waiting"] for s in sampler.samples if s["t"] >= time.time() - started
                    - step["seconds"]), default=None)
        return {"tickets_waiting_at_end": last.get("tickets_waiting"), "tickets_waiting_peak": peak,
                "events_pending_at_end": last.get("events_pending")}

    try:
        print(f"gateway, {mix_name} mix, {args.workers} workers:", flush=True)
        time.sleep(3)  # the workers load their models (jieba, the deduper's tables) before the clock starts
        cpu_before = process_cpu(engine, web, workers, name)
        best, steps = step_up(port, args.rates, args.step_seconds, mix_for, args.p99_ms, on_step=after_step,
                              flood_at=10.0 if flood else None, acked=acked)
        last_submission = time.time()
        deadline = last_submission + args.drain_timeout
        while time.time() < deadline:
            if sink.summary(acked)["reports_arrived"] >= len(acked):
                break
            time.sleep(0.5)
        arrived = sink.summary(acked)
        arrived["all_arrived"] = arrived["reports_arrived"] >= len(acked)
        arrived["last_arrival_after_last_submission_s"] = round(max(e[0] for e in sink.events) - last_submission,
                                                                1) if sink.events else None
        totals = {k.decode(): int(v) for k, v in redis.client.hgetall("gateway:pipeline:totals").items()}
        floods = flood_cases(engine, [m.flood_place for m in mixes.values()]) if flood else None
        # From the first step to the end of the drain (start-up left out); PostgreSQL: this database's backends
        # (web, workers, the sampler), those that started after the first step counted whole.
        cpu_after = process_cpu(engine, web, workers, name)
        cpu = {k: round(cpu_after[k] - cpu_before[k], 2) for k in ("web", "workers")}
        cpu["postgresql"] = round(sum(v - cpu_before["postgresql"].get(pid, 0.0)
                                      for pid, v in cpu_after["postgresql"].items()), 2)
        delivered = len(sink.events)
        cpu_per = {"web_ms_per_ack": round(cpu["web"] / len(acked) * 1000, 2) if acked else None,
                   "workers_ms_per_ticket": round(cpu["workers"] / totals["tickets"] * 1000, 2)
                   if totals.get("tickets") else None,
                   "postgresql_ms_per_ticket": round(cpu["postgresql"] / len(acked) * 1000, 2) if acked else None,
                   "events_delivered": delivered}
        return {"mix": mix_name, "highest_sustained_rps": best, "steps": steps, "pipeline": arrived,
                "acknowledged": len(acked), "flood_cases": floods, "pipeline_totals": totals,
                "statements_per_ticket": round(totals["statements"] / totals["tickets"], 2)
                if totals.get("tickets") else None,
                "tickets_per_batch": round(totals["tickets"] / totals["batches"], 1) if totals.get("batches") else None,
                "cpu_seconds": cpu, "cpu": cpu_per, "queue_depth": sampler.samples}
    finally:
        sampler.close()
        for w in workers:
            w.stop()
        web.stop()
        engine.dispose()
        sink.stop()
        drop_database(name)


def cpu_seconds(pid: int, children: bool = False) -> float:
    """CPU (user + system) a process has used so far, with its live children's (gunicorn's workers) if asked."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / tick
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if children else []
    except OSError:
        return 0.0
    return own + sum(cpu_seconds(int(k)) for k in kids)


def process_cpu(engine, web: Child, workers: list[Child], database: str) -> dict:
    """CPU seconds used so far by the web processes, the pipeline workers and the database's PostgreSQL backends."""
    from sqlalchemy import text
    with engine.connect() as conn:
        backends = [r[0] for r in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                               {"d": database})]
    return {"web": cpu_seconds(web.popen.pid, children=True),
            "workers": sum(cpu_seconds(w.popen.pid) for w in workers),
            "postgresql": {pid: cpu_seconds(pid) for pid in backends}}


def flood_cases(engine, places: list[str]) -> list[int]:
    """How many cases each flood's 200 reports ended in (1 is perfect)."""
    from sqlalchemy import func, select

    from gateway.tables import tickets
    with engine.connect() as conn:
        return [conn.execute(select(func.count(func.distinct(tickets.c.case_id))).where(
            tickets.c.data["text"].as_string().contains(place))).scalar() for place in places]


def delivery_backlog(args) -> dict:
    """1,000 events waiting (as `cases` cases), a case system answering in `--sink-delay-ms`: the time the
    Dispatcher takes to deliver them all, and whether each case's events arrived in sequence."""
    from datetime import datetime, timezone

    from sqlalchemy import insert

    from open_loop import EventSink, in_sequence

    from config import load_settings
    from gateway.delivery import Dispatcher
    from gateway.runtime import build_runtime
    from gateway.tables import cases, outbox
    results = {}
    for n_cases in (1000, 10):
        url, name = fresh_database()
        sink = EventSink(args.sink_delay_ms)
        env = gateway_env(url, "", sink.url)
        env.pop("GATEWAY_REDIS_URL")
        settings = load_settings(environ=env, dotenv_path=None)
        runtime = build_runtime(settings)
        try:
            now = datetime.now(timezone.utc)
            per_case = 1000 // n_cases
            with runtime.engine.begin() as conn:
                ids = conn.execute(insert(cases).returning(cases.c.id, sort_by_parameter_order=True), [
                    {"status": "open", "priority": "normal", "next_sequence": per_case + 1, "opened_at": now,
                     "updated_at": now} for _ in range(n_cases)]).scalars().all()
                conn.execute(insert(outbox), [
                    {"id": str(uuid.uuid4()), "case_id": c, "sequence": s, "type": "case.opened" if s == 1 else
                     "case.report_added", "priority": 0, "status": "pending", "attempts": 0, "next_attempt_at": now,
                     "created_at": now, "body": json.dumps({"type": "case.opened" if s == 1 else "case.report_added",
                                                            "case": {"id": c}, "sequence": s, "report": None})}
                    for c in ids for s in range(1, per_case + 1)])
            dispatcher = Dispatcher(runtime)
            began = time.perf_counter()
            dispatcher.drain()
            took = time.perf_counter() - began
            dispatcher.close()
            arrived = list(sink.events)
            results[f"{n_cases} cases x {per_case}"] = {
                "events": len(arrived), "in_sequence": in_sequence(arrived), "seconds": round(took, 2),
                "events_per_s": round(len(arrived) / took, 1),
                "concurrency": dispatcher.concurrency, "sink_delay_ms": args.sink_delay_ms,
                "loadavg": [round(x, 2) for x in os.getloadavg()]}
            print(f"delivery backlog, {n_cases} cases × {per_case}: {len(arrived)} events in {took:.2f} s "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)
        finally:
            runtime.engine.dispose()
            sink.stop()
            drop_database(name)
    return results


def main_open_loop(args) -> int:
    sys.path.insert(0, str(REPO / "bench"))
    from open_loop import Mix, step_up

    OUT.mkdir(parents=True, exist_ok=True)
    record: dict = {"when": datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "args": vars(args),
                    "uptime_before": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}
    if args.delivery_only:
        record["delivery_backlog"] = delivery_backlog(args)
    else:
        print("bare flask:", flush=True)
        child, port = gunicorn_conf("gunicorn-bare-open", "bare_app:app", REPO / "bench", base_env(),
                                    not args.one_session)
        try:
            bare_best, bare_steps = step_up(port, args.bare_rates or args.rates, args.step_seconds,
                                            lambda rate: Mix(1), args.p99_ms)
        finally:
            child.stop()
        record["bare"] = {"highest_sustained_rps": bare_best, "steps": bare_steps}
        redis = PrivateRedis()
        try:
            for mix in args.mixes.split(","):
                result = open_loop_gateway(args, redis, mix)
                result["ratio_to_bare"] = round(result["highest_sustained_rps"] / bare_best, 2) if bare_best else None
                record[mix] = result
        finally:
            redis.stop()
        if not args.skip_delivery:
            record["delivery_backlog"] = delivery_backlog(args)
    record["uptime_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    text = open_loop_table(record)
    print(text)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (OUT / f"open-loop-{stamp}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str))
    (OUT / f"open-loop-{stamp}.txt").write_text(text + "\n")
    print(f"\nwritten: bench/out/open-loop-{stamp}.json")
    return 0


def open_loop_table(record: dict) -> str:
    lines = [f"machine: {record['cpus']} cores; before: {record['uptime_before']}; after: {record['uptime_after']}"]
    if "bare" in record:
        lines.append(f"bare flask: highest sustained {record['bare']['highest_sustained_rps']:.0f}/s "
                     f"(p99 ≤ {record['args']['p99_ms']} ms, zero errors, "
                     f"{record['args']['step_seconds']:.0f} s a step)")
    for mix in ("usual", "flood"):
        r = record.get(mix)
        if not r:
            continue
        p = r["pipeline"]
        lines.append(f"gateway, {mix} mix: highest sustained {r['highest_sustained_rps']:.0f}/s, "
                     f"{r['ratio_to_bare']} of bare flask")
        for s in r["steps"]:
            lines.append(f"   {s['offered_rps']:>5.0f}/s  ok {s['ok']:>6}  err {s['errors']:>3}  "
                         f"p50 {s['p50_ms']:>7} ms  p99 {s['p99_ms']:>8} ms  client cpu {s['client_cpu_share']:.2f}  "
                         f"load {s['loadavg_after'][0]:.1f}"
                         f"  waiting tickets end/peak {s.get('tickets_waiting_at_end')}/{s.get('tickets_waiting_peak')}"
                         f"{'' if s['sustained'] else '  (not sustained)'}")
        lines.append(f"   pipeline: {p['reports_arrived']}/{r['acknowledged']} acknowledged reports reached the case "
                     f"system (last {p['last_arrival_after_last_submission_s']} s after the last submission); "
                     f"{p['cases_opened']} cases, {p['cases_opened_twice']} opened twice, {p.get('events_resent')} events "
                     f"sent again (same event); submission → case.opened "
                     f"p50 {p['to_case_opened_p50_ms']} ms, p99 {p['to_case_opened_p99_ms']} ms")
        lines.append(f"   SQL statements a ticket (queue → outbox, BEGIN/COMMIT included): {r['statements_per_ticket']}"
                     f" ({r['tickets_per_batch']} tickets a batch)")
        if r.get("cpu"):
            c = r["cpu"]
            lines.append(f"   CPU over the run: web {c['web_ms_per_ack']} ms an acknowledgement, workers "
                         f"{c['workers_ms_per_ticket']} ms a ticket (normalize, dedupe, write, deliver), PostgreSQL "
                         f"{c['postgresql_ms_per_ticket']} ms a report (intake and pipeline)")
        if r.get("flood_cases"):
            lines.append(f"   each flood of 200 reports ended in cases: {r['flood_cases']}")
        depth = r["queue_depth"][::5]
        lines.append("   tickets waiting every 5 s: " + " ".join(str(s["tickets_waiting"]) for s in depth))
    for label, d in (record.get("delivery_backlog") or {}).items():
        lines.append(f"delivery backlog {label}: {d['events']} events in {d['seconds']} s ({d['events_per_s']}/s, "
                     f"{'each case in sequence' if d['in_sequence'] else 'OUT OF SEQUENCE'}, "
                     f"{d['concurrency']} senders, case system {d['sink_delay_ms']} ms, load {d['loadavg'][0]})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--time-limit", type=float, default=120, help="seconds per load run, at most")
    p.add_argument("--gunicorn-workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--rq-workers", type=int, default=2, help="workers in the pipeline phase")
    p.add_argument("--drain-timeout", type=float, default=300)
    p.add_argument("--skip-pipeline", action="store_true", help="no phase with RQ workers")
    o = p.add_argument_group("open loop (--open-loop)")
    o.add_argument("--open-loop", action="store_true", help="fixed arrival rates, stepped up (see bench/README.md)")
    o.add_argument("--rates", type=lambda v: [float(x) for x in v.split(",")],
                   default=[100, 200, 300, 400, 500, 600, 800], help="offered rates per second, in order")
    o.add_argument("--bare-rates", type=lambda v: [float(x) for x in v.split(",")],
                   default=[200, 400, 600, 800, 1000, 1200, 1600])
    o.add_argument("--step-seconds", type=float, default=60)
    o.add_argument("--p99-ms", type=float, default=100)
    o.add_argument("--workers", type=int, default=2, help="`python -m gateway worker` processes")
    o.add_argument("--mixes", default="usual,flood")
    o.add_argument("--sink-delay-ms", type=float, default=5, help="the case system's answer time")
    o.add_argument("--skip-delivery", action="store_true", help="no delivery-backlog measurement")
    o.add_argument("--one-session", action="store_true",
                   help="gunicorn and the workers in the bench's session (before 2026-12-07 08:00: every run so far);"
                        " by default each starts a session of its own, as systemd units do")
    o.add_argument("--delivery-only", action="store_true", help="only the delivery-backlog measurement")
    args = p.parse_args(argv)
    if args.open_loop:
        return main_open_loop(args)

    OUT.mkdir(parents=True, exist_ok=True)
    redis = PrivateRedis()
    results: dict[str, dict] = {}
    try:
        results["bare flask"] = phase_bare(args)
        results["gateway"] = phase_gateway(args, redis, 0)
        if not args.skip_pipeline and args.rq_workers:
            results[f"gateway+{args.rq_workers}w"] = phase_gateway(args, redis, args.rq_workers)
    finally:
        redis.stop()
    text = table(results)
    print(text)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    record = {"when": datetime.now().isoformat(timespec="seconds"), "commit": commit, "cpus": os.cpu_count(),
              "python": platform.python_version(), "args": vars(args), "results": results}
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (OUT / f"intake-{stamp}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str))
    (OUT / f"intake-{stamp}.txt").write_text(text + "\n")
    print(f"\nwritten: bench/out/intake-{stamp}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
