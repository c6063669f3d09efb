"""The learned part and the combination: the units earlier cases went to, smoothed from general to specific.

Features of a case: the unit prior `*`; each level of its category path alone and with its district; its district;
the terms (character bigrams of the title and the head of the text) within its first-level category. Counts are
how many earlier cases each unit took per feature. The learned estimate starts from the prior and is refined by
each feature in turn, general to specific (Dirichlet smoothing: a feature's counts outweigh what came before once
it has more than `smoothing` cases); distinctive terms (seen in a few cases, mostly of one unit) refine last, which
is how units that split a category by operator or project are learned. The table and the learned estimate are
combined as a prior and its evidence: the table's unit counts as `table_weight` cases, the learned estimate as the
number of earlier cases of the same category (to the second level) and district.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Protocol

PRIOR = "*"
MAX_TERM_CANDIDATES = 80
HEAD_CHARS = 200
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


@dataclass(frozen=True)
class Suggestion:
    name: str
    score: float
    basis: str   # table | learned | both

    def as_dict(self) -> dict:
        return {"name": self.name, "score": self.score, "basis": self.basis}


def terms(title: str | None, text: str | None) -> list[str]:
    """Candidate terms: the distinct character bigrams of the title and the head of the text, in order."""
    seen: dict[str, None] = {}
    for run in _CJK_RUN.findall(f"{title or ''}\n{(text or '')[:HEAD_CHARS]}"):
        for i in range(len(run) - 1):
            seen.setdefault(run[i:i + 2], None)
            if len(seen) >= MAX_TERM_CANDIDATES:
                return list(seen)
    return list(seen)


def case_features(category: str | None, district: str | None, title: str | None, text: str | None
                  ) -> dict[str, list[str]]:
    """{"fixed": category and district features, general to specific; "terms": term features} of one case."""
    fixed = []
    if district:
        fixed.append(f"d:{district}")
    levels = (category or "").split("/") if category else []
    for depth in range(1, len(levels) + 1):
        prefix = "/".join(levels[:depth])
        fixed.append(f"c:{prefix}")
        if district:
            fixed.append(f"cd:{prefix}|{district}")
    scope = levels[0] if levels else ""
    return {"fixed": fixed, "terms": [f"t:{scope}|{term}" for term in terms(title, text)]}


def evidence_feature(features: dict[str, list[str]]) -> str | None:
    """The feature whose case count is the learned estimate's weight against the table."""
    pairs = [f for f in features["fixed"] if f.startswith("cd:")]
    return pairs[min(1, len(pairs) - 1)] if pairs else None


def distinctive_candidates(term_totals: Mapping[str, int], min_cases: int, ceiling: float, limit: int
                           ) -> list[str]:
    """The `limit` rarest terms seen in at least `min_cases` earlier cases and at most `ceiling` (a term in most
    cases of its category, such as the district's or the category's own words, says nothing the category does not)."""
    kept = [(n, term) for term, n in term_totals.items() if min_cases <= n <= ceiling]
    return [term for _, term in sorted(kept)[:limit]]


def rank_learned(counts: Mapping[str, Mapping[str, int]], fixed: list[str], term_features: list[str],
                 smoothing: float = 2.0, purity: float = 0.6) -> list[tuple[str, float]]:
    """Units by the learned estimate, most probable first."""
    prior = {u: n for u, n in (counts.get(PRIOR) or {}).items() if n > 0}
    total = sum(prior.values())
    if not total:
        return []
    estimate = {u: n / total for u, n in prior.items()}
    distinct = []
    for feature in term_features:
        units = counts.get(feature) or {}
        seen = sum(units.values())
        if seen and max(units.values()) / seen >= purity:
            distinct.append(feature)
    for feature in fixed + distinct:
        units = counts.get(feature) or {}
        seen = sum(units.values())
        if not seen:
            continue
        estimate = {u: (units.get(u, 0) + smoothing * estimate.get(u, 0.0)) / (seen + smoothing)
                    for u in set(estimate) | set(units)}
    return sorted(estimate.items(), key=lambda item: (-item[1], item[0]))


def suggest(table_units: list[str], learned: list[tuple[str, float]], evidence: int, table_weight: float,
            limit: int = 3) -> list[Suggestion]:
    """Table and learned posterior combined: the table's first unit as `table_weight` cases, the posterior as
    `evidence` (earlier cases of the same category × district, at least 1 when anything was learned)."""
    scores: dict[str, float] = {}
    if table_units and not learned:
        return [Suggestion(u, round(1.0 / (1 + i), 3), "table") for i, u in enumerate(table_units[:limit])]
    if learned and not table_units:
        return [Suggestion(u, round(p, 3), "learned") for u, p in learned[:limit]]
    if not learned:
        return []
    n = max(evidence, 1)
    for unit, p in learned:
        scores[unit] = n * p
    for i, unit in enumerate(table_units):
        # Less specific routes count for less: they are the table's fallbacks.
        scores[unit] = scores.get(unit, 0.0) + table_weight / (1 + i)
    norm = sum(scores.values())
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    learned_top = learned[0][0]
    out = []
    for unit, score in ranked:
        basis = ("both" if unit == learned_top else "table") if unit in table_units else "learned"
        out.append(Suggestion(unit, round(score / norm, 3), basis))
    return out


@dataclass(frozen=True)
class DispatchConfig:
    """The profile's `[dispatch]` numbers."""

    table_weight: float = 3.0
    smoothing: float = 2.0
    min_term_cases: int = 3
    term_purity: float = 0.6
    max_term_share: float = 0.2
    max_terms: int = 20

    @classmethod
    def from_profile(cls, profile: Mapping) -> "DispatchConfig":
        section = profile.get("dispatch") or {}
        return cls(**{name: type(getattr(cls, name))(section[name]) for name in
                      ("table_weight", "smoothing", "min_term_cases", "term_purity", "max_term_share", "max_terms")
                      if name in section})


class Counts(Protocol):
    """Where the learned counts live (the store, or memory for a replay)."""

    def totals(self, features: list[str]) -> dict[str, int]: ...

    def units(self, features: list[str]) -> dict[str, dict[str, int]]: ...


@dataclass(frozen=True)
class Prediction:
    table: list[str]
    learned: list[tuple[str, float]]
    combined: list[Suggestion]


def predict(counts: Counts, table_units: list[str], features: dict[str, list[str]], config: DispatchConfig
            ) -> Prediction:
    """The table's units, the learned ranking and their combination for one case's features."""
    scope = next((f for f in features["fixed"] if f.startswith("c:")), None)
    in_scope = counts.totals([scope]).get(scope, 0) if scope else 0
    chosen = distinctive_candidates(counts.totals(features["terms"]), config.min_term_cases,
                                    config.max_term_share * in_scope, config.max_terms)
    found = counts.units([PRIOR] + features["fixed"] + chosen)
    learned = rank_learned(found, features["fixed"], chosen, config.smoothing, config.term_purity)
    pair = evidence_feature(features)
    evidence = sum((found.get(pair) or {}).values()) if pair else 0
    return Prediction(table_units, learned, suggest(table_units, learned, evidence, config.table_weight))


def learned_features(features: dict[str, list[str]]) -> list[str]:
    """What one assigned case adds to: the unit prior, every fixed feature, every candidate term."""
    return [PRIOR] + features["fixed"] + features["terms"]


class MemoryCounts:
    """Counts in memory, for replays (the store keeps the same numbers in `dispatch_counts`)."""

    def __init__(self):
        self.by_feature: dict[str, dict[str, int]] = {}
        self.total: dict[str, int] = {}

    def learn(self, features: list[str], unit: str) -> None:
        for feature in features:
            units = self.by_feature.setdefault(feature, {})
            units[unit] = units.get(unit, 0) + 1
            self.total[feature] = self.total.get(feature, 0) + 1

    def totals(self, features: list[str]) -> dict[str, int]:
        return {f: self.total[f] for f in features if f in self.total}

    def units(self, features: list[str]) -> dict[str, dict[str, int]]:
        return {f: self.by_feature[f] for f in features if f in self.by_feature}
