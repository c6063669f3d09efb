"""Replay a report corpus through the LIVE pipeline (intake → normalize → assign_case on the real store) and
check it gives the same cases as `python -m gateway dedupe cluster` on the same file.

    .venv/bin/python bench/dedupe_live_replay.py CORPUS.jsonl [--database-url URL] [--workers N [--batch B]]
                                                 [--pairs PAIRS.jsonl]

Without --database-url a throwaway SQLite file is used; with a PostgreSQL admin URL
(postgresql+psycopg://postgres@127.0.0.1:5432/test) a fresh database is created next to it and dropped.
Prints how many reports landed in a different grouping than the CLI's, and the live pipeline's rate.

`--workers N` (PostgreSQL) replays under concurrent load instead: every report is acknowledged first (a backlog,
as after an outage or in a flood), then N worker processes drain it at once in batches of `--batch` (the
pipeline's default), each claiming with SKIP LOCKED, as N `python -m gateway worker` do. Reports of one batch see
each other, and batches of different workers run side by side, so a report may meet its case before or after its
neighbours did in time order: the figure is how many reports that groups differently. With truth (`truth` in the
corpus lines, or `--pairs`) it prints both groupings' pair precision and recall too, so a difference can be read
as better or worse, not only as different.
"""
from __future__ import annotations

import argparse
import io
import multiprocessing
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from channels.times import parse_time  # noqa: E402
from config import load_settings  # noqa: E402
from dedupe.cluster import read_reports, run_cluster, score_pairs, truth_pairs  # noqa: E402
from gateway import pipeline  # noqa: E402
from gateway.intake import accept_submission, raw_hash  # noqa: E402
from gateway.runtime import build_runtime  # noqa: E402
from gateway.tables import tickets  # noqa: E402
from normalizer.ticket import new_ticket  # noqa: E402
from scratch_db import scratch_database  # noqa: E402


def groups(case_of: dict[str, object]) -> dict[str, frozenset]:
    """Each report id → the set of report ids in its case."""
    members: dict[object, set] = {}
    for rid, case in case_of.items():
        members.setdefault(case, set()).add(rid)
    return {rid: frozenset(members[case]) for rid, case in case_of.items()}


def _runtime(database_url: str, var_dir: str, engine: str):
    settings = load_settings(environ={"GATEWAY_DATABASE_URL": database_url, "GATEWAY_VAR_DIR": var_dir},
                             dotenv_path=None, overrides={"profile": {"dedupe": {"engine": engine}}})
    return build_runtime(settings)


def _acknowledge(runtime, reports: list[dict]):
    """Take each report in at the app's door, in `received_at` order; yields each one's ticket id once stored."""
    zone = runtime.settings.timezone
    ordered = sorted(((parse_time(str(r["received_at"]), zone), i, r) for i, r in enumerate(reports)),
                     key=lambda item: (item[0], item[1]))
    for received_at, _, report in ordered:
        ticket = new_ticket(channel="import", external_id=str(report["id"]), text=report.get("text") or "",
                            received_at=received_at, title=report.get("title"),
                            citizen=report.get("citizen") or report.get("phone"))
        raw = json.dumps(report, ensure_ascii=False).encode()
        accepted = accept_submission(runtime, channel="import", idem_key=str(report["id"]), digest=raw_hash(raw),
                                     raw=raw, ticket=ticket, answer=lambda ref: {"reference": ref})
        yield accepted.ticket_id


def _grouping(runtime) -> dict[str, int]:
    """Each report id → its case, as the store holds them (the runtime is closed after)."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(tickets.c.data, tickets.c.case_id)).all()
    runtime.engine.dispose()
    return {row.data["external_id"]: row.case_id for row in rows}


def replay(database_url: str, reports: list[dict], var_dir: str, engine: str = "rules"
           ) -> tuple[dict[str, int], float]:
    runtime = _runtime(database_url, var_dir, engine)
    started = time.perf_counter()
    for ticket_id in _acknowledge(runtime, reports):
        pipeline.process_batch(runtime, 1, [ticket_id])
    seconds = time.perf_counter() - started
    return _grouping(runtime), seconds


def _drain(database_url: str, var_dir: str, engine: str, batch: int) -> int:
    """One worker process: carry ready tickets into cases, `batch` at a time, until none is left."""
    runtime = _runtime(database_url, var_dir, engine)
    carried = 0
    try:
        while True:
            try:
                placed = pipeline.process_batch(runtime, batch)
            except OperationalError:  # keys held by another worker's batch past the lock wait: come back
                time.sleep(0.05)
                continue
            if not placed:
                with runtime.engine.connect() as conn:
                    left = conn.execute(select(func.count()).select_from(tickets)
                                        .where(tickets.c.status.in_(pipeline.READY))).scalar()
                if not left:
                    return carried
                time.sleep(0.05)  # the rest are claimed by other workers, or set aside for a retry
                continue
            carried += len(placed)
    finally:
        runtime.engine.dispose()


def replay_concurrent(database_url: str, reports: list[dict], var_dir: str, engine: str, workers: int,
                      batch: int) -> tuple[dict[str, int], float]:
    """Acknowledge every report, then let `workers` processes carry the backlog at once."""
    runtime = _runtime(database_url, var_dir, engine)
    for _ in _acknowledge(runtime, reports):
        pass
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        carried = pool.starmap(_drain, [(database_url, var_dir, engine, batch)] * workers)
    seconds = time.perf_counter() - started
    print(f"carried per worker: {carried}", file=sys.stderr)
    return _grouping(runtime), seconds


def pair_figures(case_of: dict[str, object], pairs: list[dict]) -> dict[str, float]:
    """Pair precision, recall and F1 of one grouping."""
    r = score_pairs(case_of, pairs)
    return {k: round(r[k], 3) if isinstance(r[k], float) else r[k] for k in ("precision", "recall", "f1", "tp", "fp",
                                                                               "fn")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--engine", default="fitted", choices=("rules", "fitted"))
    ap.add_argument("--workers", type=int, default=0, help="drain an acknowledged backlog with N worker processes")
    ap.add_argument("--batch", type=int, default=pipeline.DEFAULT_BATCH)
    ap.add_argument("--pairs", default=None, help="labelled pairs, for both groupings' precision and recall")
    args = ap.parse_args()
    if args.workers and not args.database_url:
        ap.error("--workers needs --database-url (PostgreSQL: SQLite has one writer)")
    reports = read_reports(args.corpus)
    out = io.StringIO()
    run_cluster(args.corpus, out, load_settings(environ={}, dotenv_path=None,
                                                overrides={"profile": {"dedupe": {"engine": args.engine}}}).profile)
    cli = {str(json.loads(line)["id"]): json.loads(line)["case_id"] for line in out.getvalue().splitlines()}
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:
            with scratch_database(args.database_url, "gw_replay") as (url, _, _):
                if args.workers:
                    live, seconds = replay_concurrent(url, reports, tmp, args.engine, args.workers, args.batch)
                else:
                    live, seconds = replay(url, reports, tmp, args.engine)
        else:
            live, seconds = replay(f"sqlite:///{tmp}/replay.db", reports, tmp, args.engine)
    a, b = groups(cli), groups(live)
    differing = sorted(rid for rid in cli if a[rid] != b.get(rid))
    result = {"reports": len(reports), "cli_cases": len(set(cli.values())), "live_cases": len(set(live.values())),
              "reports_grouped_differently": len(differing), "examples": differing[:10],
              "live_reports_per_s": round(len(reports) / seconds, 1)}
    if args.workers:
        result.update(workers=args.workers, batch=args.batch)
    pairs = read_reports(args.pairs) if args.pairs else truth_pairs(reports) if any("truth" in r for r in reports) \
        else None
    if pairs:
        result["cli_pairs"] = pair_figures(cli, pairs)
        result["live_pairs"] = pair_figures(live, pairs)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
