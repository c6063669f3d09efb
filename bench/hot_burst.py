"""The hot ladder's latency target: a burst of 200 reports of one incident; each `case.hot` (levels 5, 20, 100) must
reach the case system within 5 s of the acknowledgement of the report that crossed the level.

    .venv/bin/python bench/hot_burst.py [--rate 10] [--reports 200] [--database-url URL]

Embedded mode (the in-process worker, as `python -m gateway serve` runs it) on a fresh SQLite file, or on
`--database-url` (a PostgreSQL database that will be written to); the case system is the tests' local one, which
verifies signatures and stamps each event's arrival. Reports are posted through the app channel at `--rate` a
second (the target's own pace is 200 in 10 minutes, 0.33 a second). Prints, per level, seconds from the crossing
report's acknowledgement to the event's arrival.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.embedded import EmbeddedWorker  # noqa: E402
from tests.harness.case_system import CaseSystem  # noqa: E402
from tests.harness.gateway import DOWNSTREAM_SECRET, make_gateway  # noqa: E402

BURST = "青山区和平大道与建设二路路口自来水管爆裂，水漫到路面上了"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=float, default=10.0)
    p.add_argument("--reports", type=int, default=200)
    p.add_argument("--database-url")
    args = p.parse_args()
    var = Path(tempfile.mkdtemp(prefix="hot-burst-"))
    with CaseSystem(DOWNSTREAM_SECRET) as case_system:
        gw = make_gateway(args.database_url or f"sqlite:///{var / 'gateway.db'}", var,
                          DOWNSTREAM_URL=case_system.url,
                          profile={"delivery": {"backoff_base_seconds": 0, "backoff_max_seconds": 0}})
        worker = EmbeddedWorker(gw.runtime, interval=0.2)
        worker.start()
        acked = []
        try:
            for i in range(args.reports):
                answer = gw.post_app({"text": BURST, "contact": {"user_id": f"bench-{i}"}})
                acked.append(time.time())
                if answer.status_code != 201:
                    print(f"report {i}: HTTP {answer.status_code}", file=sys.stderr)
                time.sleep(1 / args.rate)
            deadline = time.time() + 300
            while time.time() < deadline and sum(e["type"] == "case.hot" for e in case_system.accepted()) < 3:
                time.sleep(0.1)
        finally:
            worker.stop()
        worst = 0.0
        for event in (e for e in case_system.accepted() if e["type"] == "case.hot"):
            level = event["hot"]["level"]
            latency = event["_at"] - acked[level - 1]
            worst = max(worst, latency)
            print(f"level {level:>3}: at the case system {latency:.2f} s after the crossing report's ack")
        gw.runtime.engine.dispose()
    print(f"worst {worst:.2f} s (target ≤ 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
