"""Leave one corpus out: fit the scorer without a labelled set, measure on it (with and without titles).

`python bench/dedupe_loo.py [--data ../shared/data] [--only board-dev]` prints, per held-out set, the engine's
precision/recall/F1 with counts, candidate recall and the bigram-Jaccard baseline, then the figures of the
model fitted on every set (the shipped one) for comparison.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import load_profile  # noqa: E402
from dedupe.cluster import evaluate, read_reports  # noqa: E402
from dedupe.fitted import FittedDeduper as Deduper  # noqa: E402
from dedupe.fit import fit  # noqa: E402
from dedupe.model import FITTED, Model  # noqa: E402
from normalizer.normalize import Normalizer  # noqa: E402

SETS = [("board-dev", "board-dev.jsonl", "board-dev.pairs.jsonl"),
        ("dongguan", "dongguan.jsonl", "dongguan.pairs.jsonl"),
        ("incidents-dev", "incidents-dev.jsonl", None)]


def line(name: str, r: dict) -> str:
    found, total = r["candidates_found"], r["candidates_total"]
    b = r.get("baseline") or {}
    return (f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['tp']}/{r['fp']}/{r['fn']} | "
            f"{found / total if total else 1:.3f} ({found}/{total}) | "
            f"{b.get('f1', float('nan')):.3f} (t={b.get('threshold', 0):.2f}) |")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--only", action="append")
    ap.add_argument("--shipped", action="store_true", help="also measure the model fitted on every set")
    ap.add_argument("--exclude", action="append", default=[], help="fit without this feature (repeatable)")
    args = ap.parse_args()
    profile = load_profile(None)
    normalizer = Normalizer(profile)
    data = Path(args.data)
    loaded = {name: (read_reports(str(data / c)), read_reports(str(data / p)) if p else None)
              for name, c, p in SETS}
    print("| held out | precision | recall | F1 | tp/fp/fn | candidate recall | baseline F1 |")
    print("|---|---|---|---|---|---|---|")
    for name, corpus, pairs in SETS:
        if args.only and name not in args.only:
            continue
        started = time.time()
        others = [(n, *loaded[n]) for n, _, _ in SETS if n != name]
        model = fit(others, lambda: Deduper(profile, model=Model()), normalizer,
                    features=[f for f in FITTED if f not in args.exclude])
        for drop in (False, True):
            r = evaluate(str(data / corpus), str(data / pairs) if pairs else None, Deduper(profile, model=model),
                         normalizer, drop_titles=drop)
            print(line(name + (" (no titles)" if drop else ""), r), flush=True)
        print(f"<!-- {name}: threshold {model.threshold}, {time.time() - started:.0f} s -->", flush=True)
    if args.shipped:
        for name, corpus, pairs in SETS:
            for drop in (False, True):
                r = evaluate(str(data / corpus), str(data / pairs) if pairs else None, Deduper(profile), normalizer,
                             drop_titles=drop)
                print(line(f"{name}{' (no titles)' if drop else ''} [shipped model]", r), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
