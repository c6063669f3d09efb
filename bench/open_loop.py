"""The open-loop half of bench/intake_bench.py (`--open-loop`): arrivals at a fixed rate, stepped up.

Requests are sent on a fixed schedule (rate r: request i at t0 + i/r), whatever the server's answers do; a
request's latency counts from its scheduled time, so a server that falls behind shows it (no coordinated
omission). A step is sustained when its acknowledgement p99 is at most `--p99-ms` with zero errors.
"""
from __future__ import annotations

import http.client
import json
import os
import queue
import random
import statistics
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "bench-client-secret"
DISTRICTS = ["江岸区", "江汉区", "硚口区", "汉阳区", "武昌区", "青山区", "洪山区", "东西湖区", "蔡甸区", "江夏区",
             "黄陂区", "新洲区", "汉南区"]
STREETS = ["解放大道", "中山大道", "建设大道", "京汉大道", "友谊大道", "和平大道", "中南路", "珞喻路", "鹦鹉大道",
           "武珞路", "雄楚大道", "光谷大道", "金银湖路", "知音湖大道", "纸坊大街"]
PROBLEMS = ["路灯坏了好几天，晚上很黑", "下水道堵塞，污水漫到路面", "工地夜间施工噪音扰民", "烧烤店油烟直排",
            "共享单车堆满人行道", "路面塌陷有个大坑", "小区垃圾多日无人清运", "公交站台顶棚玻璃碎了",
            "自来水发黄有异味", "车辆乱停堵塞消防通道", "公司拖欠工资两个月", "变压器异响担心安全",
            "广场舞音响太吵影响休息", "行道树倒伏压住电线", "井盖缺失很危险"]
# How citizens word the same thing differently (a near-duplicate keeps the place and the problem).
OPENINGS = ["", "你好，", "我要反映，", "市民反映："]
CLOSINGS = ["，请尽快处理", "，希望有关部门管一管", "，已经好几天了", "，麻烦派人看看"]
FLOOD_TEXTS = ["{p}主水管爆裂，路面大量积水，附近小区全部停水", "{p}水管爆了，水漫到马路上，我们小区停水了",
               "{p}自来水管破裂喷水，整条路都是水，家里没水用", "{p}爆管了，路上全是水，什么时候能来水"]


class Mix:
    """Generated reports: distinct incidents, about `dup_share` near-duplicates of recent ones, and optionally a
    flood of `flood_size` reports of one incident within `flood_seconds`."""

    def __init__(self, seed: int, dup_share: float = 0.2, flood_size: int = 0, flood_seconds: float = 10.0):
        self.rng = random.Random(seed)
        self.dup_share = dup_share
        self.recent: list[tuple[str, str]] = []
        self.flood_size, self.flood_seconds = flood_size, flood_seconds
        self.flood_place = f"{DISTRICTS[0]}{STREETS[0]}{self.rng.randint(1, 3000)}号"
        self.lock = threading.Lock()

    def body(self, user: int, flood: bool = False) -> bytes:
        with self.lock:
            rng = self.rng
            if flood:
                text = rng.choice(FLOOD_TEXTS).format(p=self.flood_place)
            else:
                if self.recent and rng.random() < self.dup_share:
                    place, problem = rng.choice(self.recent[-50:])
                else:
                    place = f"{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randint(1, 3000)}号附近"
                    problem = rng.choice(PROBLEMS)
                    self.recent.append((place, problem))
                text = f"{rng.choice(OPENINGS)}{place}{problem}{rng.choice(CLOSINGS)}"
            phone = f"138{rng.randint(0, 99999999):08d}"
        return json.dumps({"text": text, "contact": {"name": "市民", "phone": phone, "user_id": f"u{user}"}},
                          ensure_ascii=False).encode()


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)


def open_loop(port: int, rate: float, seconds: float, mix: Mix, senders: int = 64,
              flood_at: float | None = None, acked: dict | None = None) -> dict:
    """POST /channels/app at `rate` per second for `seconds`; a flood (if the mix has one) starts at `flood_at` s.

    `acked`, when given, receives reference → wall time of the acknowledgement (for end-to-end latency).
    """
    jobs: queue.Queue = queue.Queue()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    run = uuid.uuid4().hex[:8]
    stop = object()

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes, refs = [], Counter(), {}
        while True:
            item = jobs.get()
            if item is stop:
                break
            number, due, body = item
            headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json",
                       "Idempotency-Key": f"open-{run}-{number}", "Content-Length": str(len(body))}
            try:
                conn.request("POST", "/channels/app", body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                codes[response.status] += 1
                if response.status == 201 and acked is not None:
                    refs[json.loads(answer)["reference"]] = time.time()
            except (OSError, http.client.HTTPException) as exc:
                codes[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - due)
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)
            if acked is not None:
                acked.update(refs)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    for t in threads:
        t.start()
    load_before = os.getloadavg()
    cpu0, start = time.process_time(), time.perf_counter()
    total = int(rate * seconds)
    flood = []
    if mix.flood_size and flood_at is not None:
        flood = [start + flood_at + i * mix.flood_seconds / mix.flood_size for i in range(mix.flood_size)]
    schedule = sorted([(start + i / rate, False) for i in range(total)] + [(t, True) for t in flood])
    for number, (due, is_flood) in enumerate(schedule):
        body = mix.body(number, flood=is_flood)
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((number, due, body))
    for _ in threads:
        jobs.put(stop)
    for t in threads:
        t.join(seconds + 120)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    ms = [x * 1000 for x in latencies]
    ok = sum(v for k, v in statuses.items() if k in (200, 201))
    errors = sum(v for k, v in statuses.items() if k not in (200, 201))
    return {"offered_rps": rate, "seconds": seconds, "sent": len(schedule), "ok": ok, "errors": errors,
            "statuses": {str(k): v for k, v in statuses.items()}, "achieved_rps": round(ok / seconds, 1),
            "p50_ms": percentile(ms, 50), "p90_ms": percentile(ms, 90), "p99_ms": percentile(ms, 99),
            "max_ms": round(max(ms), 1) if ms else None,
            "mean_ms": round(statistics.fmean(ms), 2) if ms else None,
            "client_cpu_share": round(cpu / wall, 2), "flood": len(flood),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()]}


def sustained(step: dict, p99_ms: float) -> bool:
    """A step holds when every request was acknowledged and the p99 is within the bound."""
    return step["errors"] == 0 and step["p99_ms"] is not None and step["p99_ms"] <= p99_ms


def step_up(port: int, rates: list[float], seconds: float, mix_for, p99_ms: float, on_step=None,
            flood_at: float | None = None, acked: dict | None = None) -> tuple[float, list[dict]]:
    """Run the rates in order until one fails; (highest sustained rate, every step's figures)."""
    best, steps = 0.0, []
    for rate in rates:
        step = open_loop(port, rate, seconds, mix_for(rate), flood_at=flood_at, acked=acked)
        step["sustained"] = sustained(step, p99_ms)
        if on_step:
            step.update(on_step(step) or {})
        steps.append(step)
        print(f"  {rate:>6.0f}/s offered: ok {step['ok']}, errors {step['errors']}, p50 {step['p50_ms']} ms, "
              f"p99 {step['p99_ms']} ms, client cpu {step['client_cpu_share']}, load {step['loadavg_after'][0]}"
              f"{'' if step['sustained'] else '  ← not sustained'}", flush=True)
        if not step["sustained"]:
            break
        best = rate
    return best, steps


class EventSink:
    """The case system: answers 204 after `delay_ms`, records each event's type, case, report and arrival time."""

    def __init__(self, delay_ms: float = 0.0):
        owner = self
        self.events: list[tuple[float, str, int, str | None, int]] = []
        self.lock = threading.Lock()
        self.delay = delay_ms / 1000

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real case system would offer

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if owner.delay:
                    time.sleep(owner.delay)
                with owner.lock:
                    owner.events.append((time.time(), body["type"], body["case"]["id"],
                                         (body.get("report") or {}).get("reference"), body.get("sequence")))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def summary(self, acked: dict[str, float]) -> dict:
        """Submission (acknowledged) → arrival at the case system, and the one-`case.opened`-per-case check."""
        with self.lock:
            events = list(self.events)
        # A case's event is named by (case, sequence): the same one arriving again is a re-send (its outcome was not
        # recorded in time, e.g. a statement past the store deadline; at-least-once on the wire, one event id), two
        # `case.opened` of other sequences would be a case opened twice.
        opened = Counter(case for case, sequence in {(c, s) for _, kind, c, _, s in events if kind == "case.opened"})
        sends = Counter((case, sequence) for _, _, case, _, sequence in events)
        to_open = [(t - acked[ref]) * 1000 for t, kind, _, ref, _ in events if kind == "case.opened" and ref in acked]
        to_any = [(t - acked[ref]) * 1000 for t, _, _, ref, _ in events if ref in acked]
        return {"events": len(events), "cases_opened": len(opened),
                "cases_opened_twice": sum(1 for n in opened.values() if n > 1),
                "events_resent": sum(n - 1 for n in sends.values()),
                "reports_arrived": len({ref for _, _, _, ref, _ in events if ref}),
                "to_case_opened_p50_ms": percentile(to_open, 50), "to_case_opened_p99_ms": percentile(to_open, 99),
                "to_any_event_p50_ms": percentile(to_any, 50), "to_any_event_p99_ms": percentile(to_any, 99)}


def in_sequence(events) -> bool:
    """Every case's events arrived in sequence order (the case system's view of per-case order)."""
    seen: dict[int, int] = {}
    for _, _, case_id, _, sequence in events:
        if sequence <= seen.get(case_id, 0):
            return False
        seen[case_id] = sequence
    return True
