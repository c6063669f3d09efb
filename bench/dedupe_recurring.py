"""Build a corpus of ≥ 40,000 reports in which reports recur, from the shared corpora, for `dedupe cluster`.

`python bench/dedupe_recurring.py OUT.jsonl [--data ../shared/data] [--copies 4]` writes every report of the
labelled corpora `--copies` times: copy k is re-posted k × 9 days (plus k hours) later under a new id, so the
index meets the same texts again and again, as an appeal board does. Then time the whole process:
`/usr/bin/time -v python -m gateway dedupe cluster OUT.jsonl > /dev/null`.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from normalizer.times import parse_time  # noqa: E402

FILES = ("board-dev.jsonl", "dongguan.jsonl", "incidents-dev.jsonl", "board-categories.jsonl")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--copies", type=int, default=4)
    args = ap.parse_args()
    count = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for name in FILES:
            for line in open(Path(args.data) / name, encoding="utf-8"):
                if not line.strip():
                    continue
                row = json.loads(line)
                at = parse_time(str(row["received_at"]))
                for k in range(args.copies):
                    copy = {key: row.get(key) for key in ("title", "text", "channel", "citizen")}
                    copy["id"] = f"{row['id']}~{k}"
                    copy["received_at"] = (at + timedelta(days=9 * k, hours=k)).isoformat()
                    out.write(json.dumps(copy, ensure_ascii=False) + "\n")
                    count += 1
    print(f"{count} reports written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
