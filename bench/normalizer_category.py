"""Accuracy of the suggested first-level category: `python bench/normalizer_category.py LABELLED.jsonl`.

Each line has "title", "text" and the city's "category" (first-level). The channel category is withheld, so
what is measured is the keyword model's suggestion alone. Prints accuracy, coverage and a per-class table.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import load_profile  # noqa: E402
from normalizer.normalize import Normalizer  # noqa: E402
from normalizer.ticket import new_ticket  # noqa: E402


def main() -> None:
    """Suggest a category for every labelled report and compare with the label."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    args = parser.parse_args()
    normalizer = Normalizer(load_profile(None))
    total = correct = answered = 0
    per_class: Counter = Counter()
    per_class_ok: Counter = Counter()
    confusion: Counter = Counter()
    with open(args.path, encoding="utf-8") as fh:
        for number, line in enumerate(fh):
            row = json.loads(line)
            if not row.get("category"):
                continue
            ticket = new_ticket(channel="board", external_id=str(number), text=row.get("text") or "",
                                title=row.get("title"), received_at=datetime.now(timezone.utc))
            got = normalizer.normalize(ticket)["category"]["level1"]
            total += 1
            answered += got is not None
            per_class[row["category"]] += 1
            if got == row["category"]:
                correct += 1
                per_class_ok[row["category"]] += 1
            else:
                confusion[(row["category"], got)] += 1
    print(f"reports: {total}, accuracy: {correct / max(1, total):.3f}, answered: {answered / max(1, total):.3f}")
    for label, count in per_class.most_common():
        print(f"  {label:10s} {per_class_ok[label]:4d}/{count:<4d} {per_class_ok[label] / count:.2f}")
    print("most frequent confusions (label -> suggested):")
    for (label, got), count in confusion.most_common(8):
        print(f"  {label} -> {got}: {count}")


if __name__ == "__main__":
    main()
