"""CPU a ticket of the pipeline, queue → outbox, apart from the web and the case system.

`python bench/pipeline_cpu.py [--tickets 6000] [--batch 50] [--engine fitted|rules] [--database-url ADMIN_URL]`

Stores `--tickets` reports of the open-loop bench's usual mix (bench/open_loop.py: ~20 % near-duplicates) through
the app channel (in-process test client) on a fresh PostgreSQL database (or `sqlite`), then carries them into cases
with `gateway.pipeline.process_batch` in batches of `--batch`, in this one process, and prints:
- the process's CPU per ticket, and how much of it the deduper's own calls took (analyse, fingerprint, keys,
  decide, observe; timed around each call), so the rest is what the pipeline itself costs;
- the PostgreSQL server's CPU per ticket (its backends' CPU from /proc, this database's connections only);
- SQL statements a ticket.
Run it under `py-spy record --pid` (it waits for Enter before the timed part with `--pause`) to see where the
pipeline's own CPU goes.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from open_loop import Mix  # noqa: E402
from scratch_db import scratch_database  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KEY = "pipeline-cpu-client-key"
SINK = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
"""
# `score` is the first pass over a batch's candidates before the dedupe locks (gateway.casework, since session 8);
# until session 10 it was left out here and counted as the pipeline's own CPU.
DEDUPE_CALLS = ("analyse", "fingerprint", "blocking_keys", "query_keys", "score", "decide", "observe")


class TimedDeduper:
    """The deduper with its calls' CPU (thread time) summed: what dedupe scoring costs, apart from the pipeline."""

    def __init__(self, inner):
        self._inner, self.cpu = inner, 0.0
        for name in DEDUPE_CALLS:
            if hasattr(inner, name):
                setattr(self, name, self._timed(getattr(inner, name)))

    def _timed(self, call):
        def timed(*args, **kwargs):
            started = time.thread_time()
            try:
                return call(*args, **kwargs)
            finally:
                self.cpu += time.thread_time() - started
        return timed

    def __getattr__(self, name):
        return getattr(self._inner, name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def backends_of(admin, database: str | None) -> dict[int, float]:
    """The CPU seconds so far of each PostgreSQL backend serving `database`."""
    if admin is None:
        return {}
    from sqlalchemy import text
    with admin.connect() as conn:
        pids = [r[0] for r in conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                           {"d": database})]
    return {pid: server_cpu([pid]) for pid in pids}


def server_since(admin, database: str | None, before: dict[int, float]) -> float:
    """CPU the database's backends spent since `before` (backends that started meanwhile count in full)."""
    now = backends_of(admin, database)
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())


def server_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) of these processes, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--engine", default="fitted")
    parser.add_argument("--database-url", default=PG_ADMIN_URL, help="an admin URL, or 'sqlite'")
    parser.add_argument("--warm", type=int, default=500, help="tickets carried before the timed part")
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave start-up's objects in the collector's sight (the worker freezes them)")
    parser.add_argument("--pause", action="store_true", help="wait for Enter before the timed part (for py-spy)")
    parser.add_argument("--concurrency", type=int, default=None, help="delivery senders (default: the profile's)")
    parser.add_argument("--deliver", action="store_true",
                        help="then send the events to a local case system (another process) and time that too")
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from config import load_settings
    from gateway.app import create_app
    from gateway.pipeline import process_batch
    from gateway.runtime import build_runtime
    from gateway.worker import freeze_start_up

    var = tempfile.mkdtemp(prefix="pipeline-cpu-")
    sink = sink_url = None
    if args.deliver:
        port = free_port()
        sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.DEVNULL)
        sink_url = f"http://127.0.0.1:{port}/events"
    admin = name = None
    scratch = ExitStack()
    if args.database_url == "sqlite":
        url = f"sqlite:///{var}/gateway.db"
    else:
        url, admin, name = scratch.enter_context(scratch_database(args.database_url, "gw_cpu"))
    try:
        settings = load_settings(environ={"GATEWAY_DATABASE_URL": url, "GATEWAY_VAR_DIR": var,
                                          "GATEWAY_API_KEYS": f"bench:{KEY}", "PATH": os.environ.get("PATH", ""),
                                          **({"DOWNSTREAM_URL": sink_url, "DOWNSTREAM_SECRET": "pipeline-cpu-sink-secret"}
                                             if sink_url else {})},
                                 dotenv_path=None, overrides={"profile": {"dedupe": {"engine": args.engine}}})
        runtime = build_runtime(settings)
        runtime.deduper = deduper = TimedDeduper(runtime.deduper)
        client = create_app(runtime=runtime, start_worker=False).test_client()
        if not args.no_freeze:
            freeze_start_up()  # as `python -m gateway worker` does once its runtime is built
        mix = Mix(seed=7)
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        started = time.perf_counter()
        for i in range(args.warm + args.tickets):
            answer = client.post("/channels/app", data=mix.body(i), headers=dict(headers, **{
                "Idempotency-Key": f"cpu-{i}"}))
            assert answer.status_code in (200, 201), answer.get_data(as_text=True)
        print(f"stored {args.warm + args.tickets} reports in {time.perf_counter() - started:.1f} s", flush=True)
        done = 0
        while done < args.warm:
            done += len(process_batch(runtime, args.batch))
        if args.pause:
            input(f"pid {os.getpid()}: Enter to start the timed part ")
        database = name
        runtime.queue.count_batch = lambda tickets, statements: totals.append((tickets, statements))
        totals: list[tuple[int, int]] = []
        deduper.cpu = 0.0
        cpu0, wall0, server0 = time.process_time(), time.perf_counter(), backends_of(admin, database)
        while True:
            placed = process_batch(runtime, args.batch)
            if not placed:
                break
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        server = server_since(admin, database, server0)
        n = sum(t for t, _ in totals)
        statements = sum(s for _, s in totals)
        print(f"{n} tickets in {len(totals)} batches, {wall:.1f} s wall ({n / wall:.0f} tickets/s on one thread)")
        print(f"worker CPU {cpu / n * 1000:.2f} ms a ticket: dedupe's calls {deduper.cpu / n * 1000:.2f} ms, "
              f"the rest of the pipeline {(cpu - deduper.cpu) / n * 1000:.2f} ms")
        if admin is not None:
            print(f"PostgreSQL CPU {server / n * 1000:.2f} ms a ticket")
        print(f"SQL statements a ticket {statements / n:.2f}")
        if sink_url:
            from gateway.delivery import Dispatcher
            from gateway.tables import outbox
            dispatcher = Dispatcher(runtime, args.concurrency)
            cpu0, wall0, server0 = time.process_time(), time.perf_counter(), backends_of(admin, database)
            sent = dispatcher.drain(rounds=10000)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            server = server_since(admin, database, server0)
            dispatcher.close()
            with runtime.engine.connect() as conn:
                waiting = conn.execute(select(func.count()).select_from(outbox).where(outbox.c.status == "pending")).scalar()
            print(f"delivery: {sent} events in {wall:.1f} s ({waiting} left), worker CPU {cpu / max(sent, 1) * 1000:.2f} ms "
                  f"an event, PostgreSQL CPU {server / max(sent, 1) * 1000:.2f} ms an event ")
        runtime.engine.dispose()
    finally:
        if sink is not None:
            sink.terminate()
        scratch.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
