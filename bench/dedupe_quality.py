"""P/R/F1 of the live deduper on labelled pairs: `python bench/dedupe_quality.py CORPUS PAIRS [--window-days N]`."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import load_profile  # noqa: E402
from dedupe.cluster import run_evaluate  # noqa: E402


def main() -> None:
    """Print precision, recall, F1 and the misjudged pairs (with `-v`)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus")
    parser.add_argument("pairs")
    parser.add_argument("--window-days", type=float)
    parser.add_argument("--profile", help="a city profile file (default: the Wuhan defaults)")
    parser.add_argument("-v", action="store_true", help="also print the misjudged pairs with evidence")
    args = parser.parse_args()
    out = sys.stdout if args.v else open("/dev/null", "w")
    start = time.perf_counter()
    result = run_evaluate(args.corpus, args.pairs, out, load_profile(args.profile), args.window_days)
    print(f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  F1 {result['f1']:.3f}  "
          f"tp {result['tp']} fp {result['fp']} fn {result['fn']} tn {result['tn']}  "
          f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
