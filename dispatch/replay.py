"""Replay past cases in time order and score the suggestions against the unit the case system chose."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from dispatch.model import DispatchConfig, MemoryCounts, case_features, learned_features, predict
from dispatch.routing import RoutingTable


@dataclass
class Score:
    cases: int = 0
    top1: int = 0
    top3: int = 0
    answered: int = 0

    def add(self, ranked: list[str], truth: str) -> None:
        self.cases += 1
        self.answered += bool(ranked)
        self.top1 += bool(ranked) and ranked[0] == truth
        self.top3 += truth in ranked[:3]

    def as_dict(self) -> dict:
        n = self.cases or 1
        return {"cases": self.cases, "top1": round(self.top1 / n, 3), "top3": round(self.top3 / n, 3),
                "answered": round(self.answered / n, 3)}


@dataclass
class ReplayResult:
    trained: int = 0
    scores: dict[str, Score] = field(default_factory=lambda: {k: Score() for k in ("table", "learned", "both")})

    def as_dict(self) -> dict:
        return {"warm_up_cases": self.trained, **{k: v.as_dict() for k, v in self.scores.items()}}


def replay(cases: Iterable[dict], table: RoutingTable, config: DispatchConfig, scored_fraction: float = 0.3
           ) -> ReplayResult:
    """Cases ({received_at, category, district, title, text, unit}) in time order: each is suggested from what the
    earlier ones taught, then taught; the last `scored_fraction` of them are scored."""
    ordered = sorted(cases, key=lambda c: c["received_at"])
    first_scored = len(ordered) - round(len(ordered) * scored_fraction)
    counts = MemoryCounts()
    result = ReplayResult(trained=first_scored)
    for i, case in enumerate(ordered):
        features = case_features(case.get("category"), case.get("district"), case.get("title"), case.get("text"))
        if i >= first_scored:
            table_units = table.units(case.get("category"), case.get("district"))
            prediction = predict(counts, table_units, features, config)
            truth = case["unit"]
            result.scores["table"].add(prediction.table, truth)
            result.scores["learned"].add([u for u, _ in prediction.learned], truth)
            result.scores["both"].add([s.name for s in prediction.combined], truth)
        counts.learn(learned_features(features), case["unit"])
    return result
