"""Normalizer throughput on one core: `python bench/normalizer_speed.py REPORTS.jsonl [--repeat N]`.

Reads reports ({"id", "received_at", "title", "text", ...}), builds tickets, and times `Normalizer.normalize`
and `Normalizer.quick_emergency` in a single process. Prints reports/s (wall clock) and the CPU time per report
(process time, which other work on a shared machine disturbs much less), and per-report latencies.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import load_profile  # noqa: E402
from normalizer.normalize import Normalizer  # noqa: E402
from normalizer.ticket import new_ticket  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")


def load_tickets(path: str) -> list:
    """Tickets built from a JSONL file of message-board reports."""
    tickets = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh):
            if not line.strip():
                continue
            row = json.loads(line)
            received = datetime.fromisoformat(row.get("received_at") or "2024-01-02T09:00:00")
            if received.tzinfo is None:
                received = received.replace(tzinfo=ZONE)
            tickets.append(new_ticket(channel=row.get("channel") or "board", external_id=str(row.get("id", number)),
                                      text=row.get("text") or "", title=row.get("title"), received_at=received,
                                      category=None))
    return tickets


def main() -> None:
    """Time the normalizer over the reports and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    normalizer = Normalizer(load_profile(None))
    print(f"start-up: {time.perf_counter() - started:.3f} s")
    tickets = load_tickets(args.path)
    chars = sum(len(t.text) + len(t.title or "") for t in tickets)
    print(f"reports: {len(tickets)}, mean length {chars / max(1, len(tickets)):.0f} chars")
    rates, cpu = [], []
    for _ in range(args.repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        for ticket in tickets:
            normalizer.normalize(ticket)
        rates.append(len(tickets) / (time.perf_counter() - started))
        cpu.append((time.process_time() - cpu_started) / len(tickets) * 1e6)
    print(f"normalize: {statistics.median(rates):,.0f} reports/s (median of {args.repeat} runs; "
          f"best {max(rates):,.0f}); CPU {statistics.median(cpu):.0f} µs/report (median; best {min(cpu):.0f})")
    latencies = []
    for ticket in tickets:
        started = time.perf_counter()
        normalizer.quick_emergency(ticket.text)
        latencies.append((time.perf_counter() - started) * 1e6)
    latencies.sort()
    print(f"quick_emergency: median {statistics.median(latencies):.1f} µs, "
          f"p99 {latencies[int(len(latencies) * 0.99)]:.1f} µs")


if __name__ == "__main__":
    main()
