"""Dedupe speed: cluster throughput (dev corpus and a generated one), decide latency, index bytes per report.

`python bench/dedupe_throughput.py [--corpus board-dev.jsonl] [--generated 200000] [--latency 10000,100000]`
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from config.settings import load_profile  # noqa: E402
from dedupe import Deduper, MemoryIndex  # noqa: E402
from dedupe.cluster import cluster, parse_time, read_reports  # noqa: E402
from dedupe_synth import generate  # noqa: E402
from normalizer.normalize import Normalizer  # noqa: E402
from normalizer.ticket import new_ticket  # noqa: E402


def cluster_rate(reports: list[dict], label: str, repeat: int = 1) -> None:
    """Reports per second of `cluster` (normalizing included), and of normalizing alone for comparison.

    Wall time and CPU time (`time.process_time`) both: on a shared machine the CPU figure is the one-core rate.
    With `repeat` > 1 the fastest run (by CPU time) of each is reported, the others only printed.
    """
    profile = load_profile(None)
    deduper, normalizer = Deduper(profile), Normalizer(profile)
    n = len(reports)
    runs, norms = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        cases = {row["case_id"] for row in cluster(reports, deduper, normalizer)}
        runs.append((time.process_time() - cpu, time.perf_counter() - wall))
        wall, cpu = time.perf_counter(), time.process_time()
        for r in reports:
            normalizer.normalize(new_ticket(channel="app", external_id=r["id"], text=r["text"], title=r.get("title"),
                                            received_at=parse_time(r["received_at"])))
        norms.append((time.process_time() - cpu, time.perf_counter() - wall))
    if repeat > 1:
        print(f"  {label} cluster runs (CPU s): " + ", ".join(f"{c:.2f}" for c, _ in runs))
    cpu, wall = min(runs)
    norm_cpu, norm_wall = min(norms)
    print(f"{label}: {n} reports → {len(cases)} cases; cluster {n / wall:,.0f} reports/s wall, "
          f"{n / cpu:,.0f}/s CPU ({wall:.1f} s wall, {cpu:.1f} s CPU); normalizing alone {n / norm_wall:,.0f}/s wall, "
          f"{n / norm_cpu:,.0f}/s CPU; dedupe part {n / max(1e-9, wall - norm_wall):,.0f}/s wall, "
          f"{n / max(1e-9, cpu - norm_cpu):,.0f}/s CPU ({(cpu - norm_cpu) / n * 1e3:.3f} ms CPU a report)")


def latency(reports: list[dict], sizes: list[int], probes: int = 2000) -> None:
    """p50/p99 of fingerprint+keys+candidates+decide with N reports indexed, and index bytes per report."""
    profile = load_profile(None)
    deduper, normalizer = Deduper(profile), Normalizer(profile)
    prepared = []
    for r in reports[: max(sizes) + probes]:
        tk = new_ticket(channel="app", external_id=r["id"], text=r["text"], title=r.get("title"),
                        received_at=parse_time(r["received_at"]), citizen=r.get("citizen"))
        tk.normalized = normalizer.normalize(tk)
        prepared.append(tk)
    for size in sizes:
        index, nbytes = MemoryIndex(deduper.settings.postings_cap, deduper.settings.max_candidates), 0
        for n, tk in enumerate(prepared[:size]):
            fp = deduper.fingerprint(tk)
            keys = deduper.blocking_keys(fp)
            nbytes += len(json.dumps(fp, ensure_ascii=False).encode()) + sum(len(k) + 16 for k in keys)
            index.add(n, n, tk.received_at, keys, fp)
        times, cpus, cands = [], [], []
        for tk in prepared[size: size + probes]:
            start, cpu = time.perf_counter(), time.process_time()
            fp = deduper.fingerprint(tk)
            found = index.candidates(deduper.blocking_keys(fp))
            deduper.decide(fp, tk.received_at, found)
            times.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            cands.append(len(found))
        times.sort()
        print(f"index of {size:,}: decide p50 {times[len(times) // 2] * 1e3:.2f} ms, "
              f"p99 {times[int(len(times) * 0.99)] * 1e3:.2f} ms wall (CPU mean {statistics.mean(cpus) * 1e3:.2f} ms), "
              f"candidates mean {statistics.mean(cands):.1f}; "
              f"{nbytes / size:.0f} bytes/report (fingerprint JSON + key rows at 16 bytes overhead)")


def main() -> None:
    """Run the benchmarks named by the arguments and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", help="a report file, e.g. board-dev.jsonl")
    parser.add_argument("--generated", type=int, default=200_000, help="size of the generated corpus (0: skip)")
    parser.add_argument("--latency", default="10000,100000", help="index sizes for the latency figures")
    parser.add_argument("--repeat", type=int, default=1, help="cluster runs per corpus (the fastest is reported)")
    args = parser.parse_args()
    if args.corpus:
        cluster_rate(read_reports(args.corpus), Path(args.corpus).name, args.repeat)
    sizes = [int(s) for s in args.latency.split(",") if s]
    if args.generated or sizes:
        synthetic = list(generate(max(args.generated, max(sizes, default=0) + 2000)))
        if args.generated:
            cluster_rate(synthetic[: args.generated], f"generated {args.generated:,}")
        if sizes:
            latency(synthetic, sizes)


if __name__ == "__main__":
    main()
