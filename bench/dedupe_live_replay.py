"""Replay a report corpus through the LIVE pipeline (intake → normalize → assign_case on the real store) and
check it gives the same cases as `python -m gateway dedupe cluster` on the same file.

    .venv/bin/python bench/dedupe_live_replay.py CORPUS.jsonl [--database-url URL]

Without --database-url a throwaway SQLite file is used; with a PostgreSQL admin URL
(postgresql+psycopg://postgres@127.0.0.1:5432/test) a fresh database is created next to it and dropped.
Prints how many reports landed in a different grouping than the CLI's, and the live pipeline's rate.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import select  # noqa: E402

from channels.times import parse_time  # noqa: E402
from config import load_settings  # noqa: E402
from dedupe.cluster import read_reports, run_cluster  # noqa: E402
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


def replay(database_url: str, reports: list[dict], var_dir: str, engine: str = "rules"
           ) -> tuple[dict[str, int], float]:
    settings = load_settings(environ={"GATEWAY_DATABASE_URL": database_url, "GATEWAY_VAR_DIR": var_dir},
                             dotenv_path=None, overrides={"profile": {"dedupe": {"engine": engine}}})
    runtime = build_runtime(settings)
    zone = settings.timezone
    ordered = sorted(((parse_time(str(r["received_at"]), zone), i, r) for i, r in enumerate(reports)),
                     key=lambda item: (item[0], item[1]))
    started = time.perf_counter()
    for received_at, _, report in ordered:
        ticket = new_ticket(channel="import", external_id=str(report["id"]), text=report.get("text") or "",
                            received_at=received_at, title=report.get("title"),
                            citizen=report.get("citizen") or report.get("phone"))
        raw = json.dumps(report, ensure_ascii=False).encode()
        accepted = accept_submission(runtime, channel="import", idem_key=str(report["id"]), digest=raw_hash(raw),
                                     raw=raw, ticket=ticket, answer=lambda ref: {"reference": ref})
        pipeline.process_batch(runtime, 1, [accepted.ticket_id])
    seconds = time.perf_counter() - started
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(tickets.c.data, tickets.c.case_id)).all()
    runtime.engine.dispose()
    return {row.data["external_id"]: row.case_id for row in rows}, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--engine", default="fitted", choices=("rules", "fitted"))
    args = ap.parse_args()
    reports = read_reports(args.corpus)
    out = io.StringIO()
    run_cluster(args.corpus, out, load_settings(environ={}, dotenv_path=None,
                                                overrides={"profile": {"dedupe": {"engine": args.engine}}}).profile)
    cli = {str(json.loads(line)["id"]): json.loads(line)["case_id"] for line in out.getvalue().splitlines()}
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:
            with scratch_database(args.database_url, "gw_replay") as (url, _, _):
                live, seconds = replay(url, reports, tmp, args.engine)
        else:
            live, seconds = replay(f"sqlite:///{tmp}/replay.db", reports, tmp, args.engine)
    a, b = groups(cli), groups(live)
    differing = sorted(rid for rid in cli if a[rid] != b.get(rid))
    print(json.dumps({"reports": len(reports), "cli_cases": len(set(cli.values())),
                      "live_cases": len(set(live.values())), "reports_grouped_differently": len(differing),
                      "examples": differing[:10], "live_reports_per_s": round(len(reports) / seconds, 1)}))


if __name__ == "__main__":
    main()
