"""`python -m gateway dispatch evaluate [--replay FILE]`: was the suggestion the unit the case system chose?"""
from __future__ import annotations

import json
from datetime import datetime
from typing import IO, Any, Iterator

from sqlalchemy import select

from dispatch import DispatchConfig, RoutingTable
from dispatch.replay import replay
from gateway.hot import case_facts
from gateway.store import make_engine
from gateway.tables import cases, tickets


def store_cases(database_url: str) -> list[dict[str, Any]]:
    """The store's cases that the case system gave a unit, with their first report, oldest first."""
    engine = make_engine(database_url)
    out = []
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(cases.c.id, cases.c.unit, cases.c.opened_at)
                                .where(cases.c.unit.is_not(None), cases.c.status != "merged")
                                .order_by(cases.c.opened_at, cases.c.id)).all()
            for row in rows:
                first = conn.execute(select(tickets.c.data).where(tickets.c.case_id == row.id)
                                     .order_by(tickets.c.id).limit(1)).first()
                if first is None or not row.unit.strip():
                    continue
                normalized = first.data.get("normalized") or {}
                facts = case_facts(normalized, first.data)
                out.append({"received_at": row.opened_at.isoformat(), "unit": row.unit.strip(),
                            "category": facts["category"], "district": facts["district"],
                            "title": normalized.get("title") or first.data.get("title"),
                            "text": normalized.get("text") or first.data.get("text")})
    finally:
        engine.dispose()
    return out


def file_cases(path: str, profile) -> Iterator[dict[str, Any]]:
    """Cases of a replay file: one JSON object a line, {received_at, unit, text, title?, category?, district?};
    a line without category and district is normalized as the pipeline would."""
    normalizer = None
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            if not item.get("unit") or not item.get("received_at"):
                raise ValueError(f"{path}:{number}: a replay line needs `received_at` and `unit`")
            datetime.fromisoformat(item["received_at"])
            if item.get("category") is None and item.get("district") is None:
                if normalizer is None:
                    from normalizer.normalize import Normalizer
                    normalizer = Normalizer(profile)
                item.update({k: v for k, v in _normalized_facts(normalizer, item).items() if v})
            yield item


def _normalized_facts(normalizer, item: dict) -> dict:
    from normalizer.ticket import new_ticket
    ticket = new_ticket(channel="replay", external_id=str(item.get("id", "")), text=item.get("text") or "",
                        received_at=datetime.fromisoformat(item["received_at"]), title=item.get("title"))
    return case_facts(normalizer.normalize(ticket))


def run_evaluate(settings, replay_path: str | None, out: IO[str], as_json: bool = False) -> dict:
    """Replay, score the last 30 % in time and print top-1/top-3 for the table, the learned part and both."""
    profile = settings.profile
    items = list(file_cases(replay_path, profile)) if replay_path else store_cases(settings.database_url)
    result = replay(items, RoutingTable.from_profile(profile), DispatchConfig.from_profile(profile)).as_dict()
    result["cases"] = len(items)
    if as_json:
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        return result
    source = replay_path or "the store"
    out.write(f"dispatch evaluate: {len(items)} cases from {source}; the first {result['warm_up_cases']} teach, "
              f"the last {len(items) - result['warm_up_cases']} (30 % in time) are scored\n")
    out.write(f"{'':10}{'top-1':>8}{'top-3':>8}{'answered':>10}\n")
    for name in ("table", "learned", "both"):
        row = result[name]
        out.write(f"{name:10}{row['top1']:>8.3f}{row['top3']:>8.3f}{row['answered']:>10.3f}\n")
    return result
