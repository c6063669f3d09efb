"""Real processes for the durability tests: gateway servers and workers, a private Redis, a cuttable TCP proxy.

Everything here is started by the test and stopped by it, by its own process handle; the machine's Redis
(6379) and PostgreSQL (5432) are never touched beyond a fresh database per test.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import requests
from sqlalchemy import select

from gateway.tables import outbox, tickets
from tests.harness.case_system import CaseSystem
from tests.harness.gateway import CLIENT_KEY, test_environ

REPO = Path(__file__).resolve().parents[2]

# Short timings so that leases run out, stale tickets are swept and retries come back within seconds.
# The lease stays longer than the slowest send the tests script (3 s), as the profile requires.
FAST_PROFILE = """
[delivery]
lease_seconds = 5
backoff_base_seconds = 1
backoff_max_seconds = 2
connect_timeout_seconds = 2
read_timeout_seconds = 10

[pipeline]
sweep_interval_seconds = 1

# Every report of these tests names one contact phone, and a burst sends dozens a minute: the per-sender limit
# (tests/security) is not what they test.
[limits]
sender_per_minute = 0
"""


def free_port() -> int:
    """A TCP port nobody listens on right now (the usual small race is accepted)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.1,
              diagnose: Callable[[], str] | None = None) -> Any:
    """Poll until `condition()` is truthy; returns its value, or fails the test with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{diagnose()}" if diagnose else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
        time.sleep(interval)


def write_profile(directory: Path, text: str = FAST_PROFILE) -> Path:
    path = directory / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def process_environ(database_url: str, var_dir: Path, profile: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a gateway process: the harness's settings, nothing inherited from ours."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "CI")}
    env.update(test_environ(database_url, var_dir, GATEWAY_PROFILE=str(profile), **extra))
    env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", GATEWAY_LOG_LEVEL="INFO")
    return env


class Proc:
    """One child process with its output in a log file; stopped by its own handle only."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self._log = open(self.log_path, "wb")
        # cwd is the test's own directory: no `.env` of the repository is read by accident.
        self.popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed, the way a machine or an OOM killer ends a process."""
        if self.alive():
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, timeout: float = 10) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return f"--- {self.name} (pid {self.pid}) log tail ---\n" + "\n".join(text.splitlines()[-lines:])


class Processes:
    """Starts gateway servers and workers for one test and stops every one of them at the end."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.started: list[Proc] = []

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Proc:
        proc = Proc(name, argv, env, self.workdir, self.workdir)
        self.started.append(proc)
        return proc

    def serve(self, env: dict[str, str], port: int | None = None, timeout: float = 30) -> "Server":
        """`python -m gateway serve` on a free port, returned once /healthz answers."""
        port = port or free_port()
        proc = self.spawn("serve", [sys.executable, "-m", "gateway", "serve", "--port", str(port)], env)
        server = Server(proc, f"http://127.0.0.1:{port}")
        wait_for(server.healthy, timeout, f"the gateway on port {port} to answer",
                 diagnose=lambda: proc.log_tail())
        return server

    def worker(self, env: dict[str, str]) -> Proc:
        """`python -m gateway worker` (RQ plus the sweeper)."""
        return self.spawn("worker", [sys.executable, "-m", "gateway", "worker"], env)

    def logs(self) -> str:
        return "\n".join(p.log_tail() for p in self.started)

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            proc.stop()


class Server:
    """A running `gateway serve` and the calls the app channel makes to it."""

    def __init__(self, proc: Proc, base_url: str):
        self.proc = proc
        self.base_url = base_url
        self.http = requests.Session()

    def healthy(self) -> bool:
        if not self.proc.alive():
            raise AssertionError(f"the gateway exited with {self.proc.popen.returncode}\n{self.proc.log_tail()}")
        try:
            return requests.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def post_app(self, body: dict, idem: str, timeout: float = 15) -> requests.Response:
        data = json.dumps(body, ensure_ascii=False).encode()
        return self.http.post(f"{self.base_url}/channels/app", data=data, timeout=timeout, headers={
            "Authorization": f"Bearer {CLIENT_KEY}", "Content-Type": "application/json", "Idempotency-Key": idem})

    def get(self, path: str, timeout: float = 10) -> requests.Response:
        return self.http.get(f"{self.base_url}{path}", timeout=timeout,
                             headers={"Authorization": f"Bearer {CLIENT_KEY}"})


# Twelve unrelated reports (other district, place and problem each): the deduper keeps them in twelve cases.
REPORTS = [
    "江汉区青年路128号小区门口路灯坏了三天，晚上很黑",
    "武昌区中南路地铁站C口的共享单车堆满人行道，行人无法通过",
    "洪山区光谷步行街一家烧烤店油烟直排，熏得楼上住户没法开窗",
    "汉阳区钟家村菜市场旁的下水道堵塞，污水漫到路面",
    "江岸区解放大道1588号工地夜间施工到凌晨两点，噪音扰民",
    "青山区和平大道公交站台的顶棚玻璃碎了，怕砸到人",
    "东西湖区金银湖小区的物业三个月没有清运垃圾，臭味很大",
    "蔡甸区知音湖大道有一段路面塌陷，坑很深，已经有电动车摔倒",
    "黄陂区盘龙城经济开发区某公司拖欠农民工工资两个月",
    "硚口区宝丰路幼儿园门口早晚高峰车辆乱停，堵塞交通",
    "江夏区纸坊街自来水发黄有异味，已经持续一周",
    "新洲区邾城街道一处变压器嗡嗡作响，担心有安全隐患",
]


def report(n: int, tag: str, user: str | None = None) -> dict:
    """App report number `n` (the same body for the same arguments, so a retry is a true repeat).

    Reports 0..11 are unrelated and open a case each; the same `n` and `user` again is an exact repeat,
    which joins the first one's case.
    """
    return {"text": REPORTS[n % len(REPORTS)],
            "contact": {"name": "李女士", "phone": "13800138000", "user_id": user or f"u-{tag}-{n}"}}


class RedisServer:
    """A private redis-server on a free port, without persistence: stopping it loses the queues, as a crash does."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        wait_for(self.ping, 10, f"redis-server on port {self.port}")

    def ping(self) -> bool:
        import redis
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def flush(self) -> None:
        import redis
        redis.Redis(port=self.port).flushall()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; `cut()` closes every connection and refuses new ones (the database
    is gone), `restore()` listens again on the same port. `freeze()` keeps every connection open but forwards
    nothing (a database host that hangs), until `thaw()`."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        self.flowing = threading.Event()
        self.flowing.set()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        with self.lock:
            self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="proxy-accept").start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was shut down: cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                if self.listener is not listener:  # cut while this one was being set up
                    client.close()
                    upstream.close()
                    return
                self.sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True, name="proxy-pump").start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self.flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self.lock:
            self.sockets.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self) -> None:
        """Stop listening and drop every open connection."""
        with self.lock:
            listener, self.listener = self.listener, None
            open_sockets = list(self.sockets)
        if listener:
            # close() alone does not wake a thread blocked in accept(); shutdown() does (Linux).
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for s in open_sockets:
            self._close(s)

    def restore(self) -> None:
        self.start()

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.thaw()
        self.cut()


class WatchedCaseSystem(CaseSystem):
    """The harness's case system, also counting requests as they arrive (before its scripted delay)."""

    def __init__(self, secret: str):
        super().__init__(secret)
        self.arrived: list[str] = []   # event ids, at arrival

    def _handle(self, handler, body: bytes) -> None:
        with self.lock:
            self.arrived.append(handler.headers.get("X-Gateway-Event-Id") or "?")
        try:
            super()._handle(handler, body)
        except OSError:
            pass  # the sender was killed while we slept: its socket is gone, the event is recorded anyway


def ticket_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(tickets.c.id, tickets.c.reference, tickets.c.status, tickets.c.case_id)
                            .order_by(tickets.c.id)).all()


def outbox_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(outbox.c.id, outbox.c.case_id, outbox.c.sequence, outbox.c.type,
                                   outbox.c.ticket_id, outbox.c.status, outbox.c.attempts)
                            .order_by(outbox.c.case_id, outbox.c.sequence)).all()


def all_delivered(engine, expected_tickets: int) -> bool:
    """Every ticket delivered and every outbox event acknowledged."""
    rows = ticket_rows(engine)
    events = outbox_rows(engine)
    return (len(rows) == expected_tickets and all(r.status == "delivered" for r in rows)
            and bool(events) and all(e.status == "delivered" for e in events))


def describe(engine) -> str:
    return "tickets: " + ", ".join(f"{r.id}:{r.status}" for r in ticket_rows(engine)) + "\noutbox: " + ", ".join(
        f"{e.case_id}#{e.sequence}:{e.status}/{e.attempts}" for e in outbox_rows(engine))


def assert_each_ticket_opened_once(case_system: CaseSystem, references: list[str], engine) -> None:
    """The case system accepted exactly one `case.opened` per ticket (by event id), and nothing unknown."""
    accepted = case_system.accepted()
    assert not case_system.rejected, case_system.rejected
    by_reference: dict[str, set[str]] = {}
    for event in accepted:
        if event["type"] == "case.opened":
            by_reference.setdefault(event["report"]["reference"], set()).add(event["id"])
    assert sorted(by_reference) == sorted(references), (sorted(by_reference), sorted(references))
    assert all(len(ids) == 1 for ids in by_reference.values()), by_reference
    # The ids the case system accepted are exactly the outbox's events: none lost, none invented.
    assert {e["id"] for e in accepted} == {e.id for e in outbox_rows(engine)}
