"""CPU a ticket of the real `python -m gateway worker` processes, queue → case system, apart from the web.

`python bench/worker_cpu.py [--tickets 3000] [--warm 300] [--workers 2] [--rate 0]`

bench/pipeline_cpu.py times `process_batch` in its own process; this runs what production runs: `--workers`
worker processes (their ticket loop, delivery pool, sweeper and RQ loop, each lowering its priority as usual) on a
fresh PostgreSQL database, a private Redis and a local case system answering 204 (bench/open_loop.EventSink).
`--warm` reports are stored (in-process app channel) and carried first, so the models and caches are loaded;
then the workers are stopped (SIGSTOP), `--tickets` reports are stored, the workers resumed and timed until
every report's event reached the case system. With `--rate R` the reports are instead stored at R a second while
the workers run (smaller batches, as when the pipeline keeps up). Prints the workers' CPU a ticket, PostgreSQL's
CPU a ticket (this database's backends), SQL statements a ticket, PostgreSQL sessions opened (a connection pool
too small for the workers' threads opens and closes connections all the time), and the load average.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from intake_bench import API_KEY, Child, PrivateRedis, cpu_seconds, gateway_env  # noqa: E402
from open_loop import EventSink, Mix  # noqa: E402
from pipeline_cpu import backends_of, server_since  # noqa: E402
from scratch_db import scratch_database  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def sessions(admin, database: str) -> int:
    """PostgreSQL sessions opened on `database` so far (pg_stat_database, PostgreSQL 14 and later)."""
    from sqlalchemy import text
    with admin.connect() as conn:
        return int(conn.execute(text("SELECT sessions FROM pg_stat_database WHERE datname = :d"),
                                {"d": database}).scalar() or 0)


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of each thread of `pid`, by OS thread id."""
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def thread_names(pid: int) -> dict[int, str]:
    """OS thread id → Python thread name, from `py-spy dump` when py-spy is installed (else empty)."""
    import re
    import shutil
    import subprocess
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    try:
        dump = subprocess.run([spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return {int(tid): name for tid, name in re.findall(r'^Thread (\d+) \(\w+\): "([^"]*)"', dump, re.M)}


def by_thread(workers, before: dict, after: dict) -> dict[str, float]:
    """The workers' CPU of the timed part by thread kind (tickets, deliver senders, deliveries, sweeper …)."""
    import re
    kinds: dict[str, float] = {}
    for w in workers:
        names = thread_names(w.popen.pid)
        for tid, cpu in after[w].items():
            kind = re.sub(r"_\d+$", "", names.get(tid, "?"))
            kinds[kind] = kinds.get(kind, 0.0) + cpu - before[w].get(tid, 0.0)
    return kinds


def wait_arrived(sink: EventSink, refs: set[str], timeout: float) -> float:
    """Wait until an event of every reference in `refs` reached the case system; the wall time it took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with sink.lock:
            seen = {e[3] for e in sink.events}
        if refs <= seen:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit(f"not every report reached the case system within {timeout} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--warm", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=0, help="store the timed reports at this rate (0: all first)")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)

    from config import load_settings
    from gateway.app import create_app
    from gateway.runtime import build_runtime

    with ExitStack() as stack:
        url, admin, name = stack.enter_context(scratch_database(PG_ADMIN_URL, "gw_wcpu"))
        redis = PrivateRedis()
        stack.callback(redis.stop)
        sink = EventSink(5)
        stack.callback(sink.stop)
        env = gateway_env(url, redis.url, sink.url)
        settings = load_settings(environ={k: env[k] for k in env if k.startswith(("GATEWAY_", "DOWNSTREAM_"))},
                                 dotenv_path=None)
        runtime = build_runtime(settings)
        stack.callback(runtime.engine.dispose)
        client = create_app(runtime=runtime, start_worker=False).test_client()
        mix = Mix(seed=7)
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
        number = iter(range(10 ** 9))

        def store(count: int, rate: float = 0) -> set[str]:
            refs, started = set(), time.perf_counter()
            for i in range(count):
                if rate:
                    delay = started + i / rate - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                n = next(number)
                answer = client.post("/channels/app", data=mix.body(n), headers=dict(
                    headers, **{"Idempotency-Key": f"wcpu-{n}"}))
                assert answer.status_code == 201, answer.get_data(as_text=True)
                refs.add(answer.get_json()["reference"])
            return refs

        warm = store(args.warm)
        workers = [Child(f"worker-cpu-{n}", [sys.executable, "-m", "gateway", "worker"], env, REPO, True)
                   for n in range(args.workers)]
        for w in workers:
            stack.callback(w.stop)
        wait_arrived(sink, warm, args.timeout)
        redis.client.delete("gateway:pipeline:totals")
        if not args.rate:
            for w in workers:
                w.popen.send_signal(signal.SIGSTOP)
            refs = store(args.tickets)
        cpu0 = sum(cpu_seconds(w.popen.pid) for w in workers)
        threads0 = {w: thread_cpu(w.popen.pid) for w in workers}
        server0, sessions0, load0 = backends_of(admin, name), sessions(admin, name), os.getloadavg()
        started = time.perf_counter()
        if not args.rate:
            for w in workers:
                w.popen.send_signal(signal.SIGCONT)
        else:
            refs = store(args.tickets, args.rate)
        wall = wait_arrived(sink, refs, args.timeout) + (time.perf_counter() - started if args.rate else 0)
        time.sleep(1)  # the last events' outcomes are written after the case system's answer
        cpu = sum(cpu_seconds(w.popen.pid) for w in workers) - cpu0
        kinds = by_thread(workers, threads0, {w: thread_cpu(w.popen.pid) for w in workers})
        server = server_since(admin, name, server0)
        opened = sessions(admin, name) - sessions0
        totals = {k.decode(): int(v) for k, v in redis.client.hgetall("gateway:pipeline:totals").items()}
        n = len(refs)
        print(f"{n} tickets, {args.workers} workers{f', stored at {args.rate:.0f}/s' if args.rate else ''}: "
              f"{wall:.1f} s wall; load {load0[0]:.1f} -> {os.getloadavg()[0]:.1f}")
        print(f"workers' CPU {cpu / n * 1000:.2f} ms a ticket (pipeline and delivery), PostgreSQL "
              f"{server / n * 1000:.2f} ms a ticket; {len(sink.events)} events in all")
        if totals.get("tickets"):
            print(f"SQL statements a ticket {totals['statements'] / totals['tickets']:.2f} "
                  f"({totals['tickets'] / totals['batches']:.1f} tickets a batch)")
        print(f"PostgreSQL sessions opened meanwhile: {opened} (the CPU of backends that ended is not counted)")
        print("workers' CPU a ticket by thread: " + ", ".join(
            f"{kind} {seconds / n * 1000:.2f} ms" for kind, seconds in sorted(kinds.items(), key=lambda kv: -kv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
