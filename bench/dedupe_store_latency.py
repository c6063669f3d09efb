"""Dedupe decision latency against the live index in PostgreSQL (or SQLite) at growing sizes, and its bytes.

    .venv/bin/python bench/dedupe_store_latency.py --sizes 10000 100000 1000000 \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--probes 2000]

For each size it creates a fresh database, indexes that many generated reports (bench/dedupe_synth.py) with the
gateway's own index code (`gateway.dedupe_index`), then times the decision the worker makes for new reports:
fingerprint → blocking keys → candidates from the store → decide (the read side of `assign_cases`; the write is
one INSERT per key row). Loading builds the posting rows in memory and writes them in bulk, which yields exactly
the rows that report-by-report `add_to_index` calls would. DEDUPE_ENGINE=fitted measures the fitted engine (its
frequency table built from the indexed reports, and counted in the bytes). Figures go to stdout and bench/out/.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from config.settings import load_profile  # noqa: E402
from dedupe import make_deduper  # noqa: E402
from normalizer.times import parse_time  # noqa: E402
from dedupe_synth import generate  # noqa: E402
from gateway.dedupe_index import _pack, add_frequencies, find_candidates, key_hash, sync_frequencies  # noqa: E402
from gateway.store import make_engine, migrate  # noqa: E402
from gateway.tables import cases, dedupe_postings, dedupe_reports, tickets  # noqa: E402
from normalizer.normalize import Normalizer  # noqa: E402
from normalizer.ticket import new_ticket  # noqa: E402

_models = None
ENGINE = os.environ.get("DEDUPE_ENGINE", "rules")  # the worker processes read it too


def _profile() -> dict:
    profile = dict(load_profile(None))
    profile["dedupe"] = dict(profile.get("dedupe", {}), engine=ENGINE)
    return profile


def _fingerprint(report: dict):
    global _models
    if _models is None:
        profile = _profile()
        _models = (Normalizer(profile), make_deduper(profile))
    normalizer, deduper = _models
    ticket = new_ticket(channel="board", external_id=str(report["id"]), text=report["text"],
                        title=report.get("title"), received_at=parse_time(report["received_at"]),
                        citizen=report.get("citizen"))
    ticket.normalized = normalizer.normalize(ticket)
    if hasattr(deduper, "analyse"):
        fp, grams = deduper.analyse(ticket)
    else:
        fp, grams = deduper.fingerprint(ticket), {}
    return fp, deduper.blocking_keys(fp), ticket.received_at, list(grams)


def _fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"gw_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def load(engine, reports: list[dict], cap: int) -> float:
    """Index the reports (one case each); returns seconds spent."""
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        prints = list(pool.map(_fingerprint, reports, chunksize=500))
    postings: dict[int, list[int]] = {}
    batch = 5000
    with engine.begin() as conn:
        for start in range(0, len(reports), batch):
            chunk = range(start, min(start + batch, len(reports)))
            conn.execute(insert(cases), [dict(id=i + 1, status="open", priority="normal", next_sequence=1,
                                              opened_at=now, updated_at=now) for i in chunk])
            conn.execute(insert(tickets), [dict(id=i + 1, reference=f"B{i:09d}", channel="board", status="in_case",
                                                case_id=i + 1, priority="normal", received_at=prints[i][2],
                                                created_at=now, updated_at=now, data={}) for i in chunk])
            conn.execute(insert(dedupe_reports), [dict(ticket_id=i + 1, case_id=i + 1, received_at=prints[i][2],
                                                       fingerprint=prints[i][0]) for i in chunk])
            for i in chunk:
                for key in dict.fromkeys(key_hash(k) for k in prints[i][1]):
                    ids = postings.setdefault(key, [])
                    ids.append(i + 1)
                    if len(ids) > cap:
                        del ids[0]
        items = list(postings.items())
        for start in range(0, len(items), batch):
            conn.execute(insert(dedupe_postings), [dict(key=k, ids=_pack(v)) for k, v in items[start:start + batch]])
        # The frequency table of the indexed reports, as the workers' batches would have left it.
        counts: dict[str, int] = {}
        for item in prints:
            for gram in item[3]:
                counts[gram] = counts.get(gram, 0) + 1
        if counts:
            add_frequencies(conn, counts, len(prints))
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def probe(engine, probes: list[dict]) -> list[float]:
    """Milliseconds per decision (fingerprint, keys, candidates, decide) for reports not in the index."""
    profile = _profile()
    normalizer, deduper = Normalizer(profile), make_deduper(profile)
    sync_frequencies(engine, deduper)  # the worker's start: the store's frequency table
    timings = []
    now = datetime.now(timezone.utc)
    with engine.connect() as conn:
        for report in probes:
            ticket = new_ticket(channel="board", external_id=str(report["id"]), text=report["text"],
                                title=report.get("title"), received_at=parse_time(report["received_at"]))
            ticket.normalized = normalizer.normalize(ticket)
            started = time.perf_counter()
            if hasattr(deduper, "analyse"):
                fp, _ = deduper.analyse(ticket)
                keys = deduper.query_keys(fp)
            else:
                fp = deduper.fingerprint(ticket)
                keys = deduper.blocking_keys(fp)
            # As many candidates as the live pipeline judges: the engine's own number.
            deduper.decide(fp, ticket.received_at, find_candidates(conn, keys, now, 30,
                                                                   getattr(deduper.settings, "max_candidates", 64)))
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def index_bytes(engine) -> int | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_total_relation_size('dedupe_postings') + "
                                 "pg_total_relation_size('dedupe_reports') + "
                                 "pg_total_relation_size('dedupe_frequencies')")).scalar()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--probes", type=int, default=2000)
    ap.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                    help="admin URL: each size gets a fresh database next to it")
    ap.add_argument("--cap", type=int, default=200)
    ap.add_argument("--keep", action="store_true",
                    help="keep each size's database (its name is printed) to probe it again with --reuse")
    ap.add_argument("--reuse", metavar="DATABASE",
                    help="probe this kept database (one --sizes value: the size it was loaded with) without loading")
    args = ap.parse_args()
    if args.reuse and len(args.sizes) != 1:
        ap.error("--reuse takes exactly one --sizes value")
    rows = []
    for size in args.sizes:
        reports = list(generate(size + args.probes, seed=size))
        indexed, probes = reports[:size], reports[size:]
        if args.reuse:
            name = args.reuse
            url, seconds = args.database_url.rsplit("/", 1)[0] + f"/{name}", 0.0
            engine = make_engine(url)
        else:
            url, name = _fresh_database(args.database_url)
            engine = make_engine(url)
            migrate(engine)
            seconds = load(engine, indexed, args.cap)
        timings = probe(engine, probes)
        timings.sort()
        size_bytes = index_bytes(engine)
        row = {"indexed": size, "load_s": round(seconds, 1), "probes": len(timings),
               "p50_ms": round(statistics.median(timings), 2),
               "p99_ms": round(timings[int(0.99 * (len(timings) - 1))], 2),
               "index_bytes_per_report": round(size_bytes / size) if size_bytes else None,
               "engine": ENGINE, "database": name if args.keep or args.reuse else None}
        rows.append(row)
        print(json.dumps(row), flush=True)
        engine.dispose()
        if args.keep or args.reuse:
            continue
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    out = Path(__file__).with_name("out")
    out.mkdir(exist_ok=True)
    (out / "dedupe_store_latency.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
