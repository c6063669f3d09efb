"""A dispatch replay made from the taxonomy by rules the routing table it writes only partly knows, then scored.

    .venv/bin/python bench/dispatch_replay.py [--cases 8000] [--coverage 0.7] [--seed 7]

Writes bench/out/dispatch-replay.jsonl (cases with the unit the "case system" chose, in time order) and
bench/out/dispatch-profile.toml (a profile whose routing table knows `--coverage` of the category × district pairs),
then runs `python -m gateway dispatch evaluate --replay …` with that profile: the last 30 % in time are scored.

The rules (all drawn with the seed; no names from any data set, units are made up from the taxonomy and gazetteer):
- each second-level category is handled either by one city unit or by a unit per district (40 %);
- a quarter of them have one or two "special" units that take the reports naming a distinctive term (an operator
  company, a project), whatever the district; the table never knows those;
- the table lists the base rule for `--coverage` of the pairs (a wildcard route for a city unit, a district route
  for a district unit), and `--stale` of its routes name a unit that no longer handles the pair;
- `--noise` of the cases went to some other unit of the same first-level category (the case system's own choice).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SYLLABLES = "华润恒泰安康盛达宏远金鹏广源鑫隆永兴天宇博通中汇嘉和瑞丰新星长青明辉海川志诚"
SUFFIXES = ["集团", "物业", "公司", "项目部", "置业"]
FILLERS = ["已经好几天了", "多次反映没有结果", "请相关部门尽快处理", "影响周边居民生活", "希望给个答复"]


def load_world():
    with open(ROOT / "config" / "taxonomy.csv", encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.reader(fh)][1:]
    with open(ROOT / "config" / "gazetteer" / "wuhan.toml", "rb") as fh:
        gazetteer = tomllib.load(fh)
    districts = {d["name"]: d.get("streets") or [d["name"]] for d in gazetteer["districts"]}
    return rows, districts


def make_rules(rows, districts, rng: random.Random):
    """Per second-level category: who handles it, and its special units with their terms."""
    level2 = sorted({(r[0], r[1]) for r in rows})
    rules = {}
    for l1, l2 in level2:
        per_district = rng.random() < 0.4
        specials = []
        if rng.random() < 0.25:
            for _ in range(rng.choice((1, 2))):
                term = rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(SUFFIXES)
                specials.append((term, f"{term}{l2}专班"))
        base = {d: (f"{d}{l2}科" if per_district else f"市{l2}处") for d in districts}
        rules[(l1, l2)] = {"per_district": per_district, "base": base, "specials": specials}
    return rules


def make_cases(rows, districts, rules, n: int, noise: float, rng: random.Random):
    names = list(districts)
    district_weights = [rng.uniform(0.5, 2.0) for _ in names]
    leaf_weights = [1.0 / (i + 1) ** 0.8 for i in range(len(rows))]   # a few kinds of problem are most reports
    rng.shuffle(leaf_weights)
    by_level1: dict[str, set] = {}
    for (l1, _), rule in rules.items():
        by_level1.setdefault(l1, set()).update(rule["base"].values())
        by_level1[l1].update(unit for _, unit in rule["specials"])
    start = datetime(2026, 9, 1, tzinfo=timezone(timedelta(hours=8)))
    cases = []
    for i in range(n):
        l1, l2, l3 = rng.choices(rows, leaf_weights)[0]
        district = rng.choices(names, district_weights)[0]
        street = rng.choice(districts[district])
        rule = rules[(l1, l2)]
        unit = rule["base"][district]
        mention = ""
        if rule["specials"] and rng.random() < 0.35:
            term, unit = rng.choice(rule["specials"])
            mention = f"，{term}负责的"
        elif rng.random() < 0.3:   # other companies named in passing: terms that decide nothing
            mention = "，" + rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(SUFFIXES) + "附近"
        if rng.random() < noise:
            unit = rng.choice(sorted(by_level1[l1] - {unit}) or [unit])
        text = f"{district}{street}{mention}{l3}方面的问题，{rng.choice(FILLERS)}。"
        cases.append({"id": f"r{i}", "received_at": (start + timedelta(minutes=13 * i)).isoformat(),
                      "title": f"{street}{l3}问题", "text": text, "category": f"{l1}/{l2}/{l3}",
                      "district": district, "unit": unit})
    return cases


def make_table(rules, districts, coverage: float, stale: float, rng: random.Random):
    routes = []
    all_units = sorted({u for rule in rules.values() for u in rule["base"].values()})
    for (l1, l2), rule in sorted(rules.items()):
        targets = [("*", rule["base"][next(iter(districts))])] if not rule["per_district"] else \
            [(d, rule["base"][d]) for d in districts]
        for district, unit in targets:
            if rng.random() >= coverage:
                continue
            if rng.random() < stale:
                unit = rng.choice(all_units)
            routes.append({"category": f"{l1}/{l2}", "district": district, "unit": unit})
    return routes


def toml_profile(routes) -> str:
    lines = ["# Made by bench/dispatch_replay.py: a routing table that knows part of the replay's rules.", ""]
    for route in routes:
        lines += ["[[dispatch.routes]]", *(f'{k} = {json.dumps(v, ensure_ascii=False)}' for k, v in route.items()),
                  ""]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cases", type=int, default=8000)
    p.add_argument("--coverage", type=float, default=0.7)
    p.add_argument("--stale", type=float, default=0.05)
    p.add_argument("--noise", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    rng = random.Random(args.seed)
    rows, districts = load_world()
    rules = make_rules(rows, districts, rng)
    cases = make_cases(rows, districts, rules, args.cases, args.noise, rng)
    routes = make_table(rules, districts, args.coverage, args.stale, rng)
    OUT.mkdir(parents=True, exist_ok=True)
    replay_path, profile_path = OUT / "dispatch-replay.jsonl", OUT / "dispatch-profile.toml"
    replay_path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    # The routing table replaces the default one: a profile's array of tables is not merged route by route.
    profile_path.write_text(toml_profile(routes), encoding="utf-8")
    pairs = {(c["category"].rsplit("/", 1)[0], c["district"]) for c in cases}
    print(f"{len(cases)} cases, {len(routes)} routes; table covers {args.coverage:.0%} of pairs by rule "
          f"({len(pairs)} category × district pairs occur); {replay_path}, {profile_path}")
    env = dict(os.environ, GATEWAY_PROFILE=str(profile_path), GATEWAY_LOG_LEVEL="WARNING")
    return subprocess.call([sys.executable, "-m", "gateway", "dispatch", "evaluate", "--replay", str(replay_path)],
                           env=env, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
