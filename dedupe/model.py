"""The fitted scorer: a logistic regression over a dozen pair features, read from TOML (written by `dedupe fit`).

`log_odds` is plain Python (a dot product): numpy is needed only to fit (dedupe/fit.py), never to decide.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Mapping

# Features of one (new report, indexed report) pair, computed by dedupe.compare.Probe.features.
FEATURES = (
    "topic_cosine",      # IDF-weighted cosine of the rarest bigrams of title + text outside the names either
                         # states: the problem, not the place
    "rare_unshared",     # share of each report's 6 rarest bigrams the other lacks (a template elsewhere: its names)
    "text_containment",  # the shared topic weight over the smaller report's own: a short follow-up in a long
                         # one, or a near repeat
    "title_cosine",      # IDF-weighted cosine of the titles' bigrams (0 when either has no title)
    "both_titles",       # 1 when both reports have a title
    "rare_shared",       # ln(1 + shared bigrams at least 0.6 × as rare as the new report's rarest): a shared rare run
    "rarest_shared",     # IDF of the rarest shared bigram over the new report's rarest
    "shared_place",      # a specific name (compound, road, company, school …), primary in one of them, in both
    "shared_area",       # only a town, 社区 office or bus line in common
    "road_only",         # the specific names in common are all roads (a long road hosts many cases)
    "road_topics_apart", # road_only, and both name topic words with no character in common (lamps / rubble)
    "place_conflict",    # both titles (or leads) name a place of one kind and none matches
    "admin_conflict",    # both name a county/district/city and they differ
    "shared_admin",      # a county/district/city in common
    "log_days",          # ln(1 + days apart)
    "short_text",        # 1/sqrt(1 + the smaller number of distinct bigrams): similarity of short texts is noisier
    # Products (one case needs the same place AND the same problem; a template elsewhere is alike text AND
    # another place): a linear model cannot say "and" without them.
    "conflict_x_text",   # place_conflict × containment of all bigrams: alike text at another place (a template)
    "place_x_topic",     # shared_place × topic_cosine: the same place and the same problem
    "rare_x_topic",      # rarest_shared × topic_cosine
    "char_cosine",       # IDF-weighted cosine of the 24 most telling characters of each (place and problem through
                         # paraphrase: 燃气味 / 煤气味, 雁湖壹号 / 雁湖1号)
    "rare_x_chars",      # rarest_shared × char_cosine
    "swap_bigrams",      # alike text (containment of all bigrams, cubed: only near copies) × the smaller share of each side's 6 rarest bigrams
                         # the other lacks: one complaint copied for another place differs on both sides, in the name
    "near_repeat",       # near-identical text with no rare bigram of its own on either side: a repeat, by another
                         # citizen too (a message forwarded in a residents' group)
    "swap_chars",        # the same in characters: char_cosine cubed × the smaller unshared share of each side's characters
    "within_day",        # e^(-days apart): bounded, so a retelling a year later weighs no worse than one a month later
    "within_week",       # e^(-days/7)
    "within_month",      # e^(-days/30)
)

# The sign each coefficient must have (what more of the feature can only mean); `dedupe fit` drops a feature whose
# fitted sign is the other, and fits again (the most contrary first). Unlisted features take either sign. Without
# the constraint, the labelled pairs (drawn to look alike) make "more alike text" count against, and an exact
# repeat would open a second case.
# `both_titles` may only count against: two titles that share nothing are evidence of two cases (title_cosine then
# adds back what alike titles say), but that both reports have a title says nothing for one case. Left free, the fit
# on Dongguan and the incidents made it +0.58: the intercept of every title-less pair (SMS, WeChat, hotline) 0.58
# lower than a titled pair's with the same evidence. Left out, board without titles F1 0.793 -> 0.823.
SIGNS = {"topic_cosine": 1, "text_containment": 1, "rare_unshared": -1, "title_cosine": 1, "both_titles": -1,
         "rare_shared": 1,
         "rarest_shared": 1, "shared_place": 1, "shared_area": 1, "road_only": -1, "road_topics_apart": -1,
         "place_conflict": -1, "admin_conflict": -1,
         "shared_admin": 1, "log_days": -1, "conflict_x_text": -1, "place_x_topic": 1, "rare_x_topic": 1,
         "char_cosine": 1, "rare_x_chars": 1,
         "swap_bigrams": -1, "swap_chars": -1, "near_repeat": 1,
         "within_day": 1, "within_week": 1, "within_month": 1}

# Still computed (a city's older model file may weigh it), never fitted anew: ln(1 + days) grows without bound, so
# fitted on reports days apart (incident traffic) it priced a retelling a year later far below anything it had
# seen (left out, the board's recall was 0.67 with it and 0.72 with the bounded `within_*` instead).
RETIRED = ("log_days",)
FITTED = tuple(f for f in FEATURES if f not in RETIRED)

DEFAULT_MODEL = Path(__file__).with_name("model.toml")


@dataclass(frozen=True)
class Model:
    """Intercept, one coefficient per feature (missing: 0), the merge threshold on the probability, and how
    much each further matching report of a case adds to its log-odds (`case_support`)."""

    intercept: float = 0.0
    coefficients: Mapping[str, float] = field(default_factory=dict)
    threshold: float = 0.5
    case_support: float = 0.0
    fitted_on: str = ""

    @cached_property
    def weighed(self) -> tuple[tuple[str, ...], tuple[float, ...]]:
        """The features whose coefficient is not 0 and their coefficients, in `coefficients`' order: the only terms
        a log-odds needs (a coefficient of 0 adds exactly 0.0), taken once per model rather than once per report."""
        terms = [(name, coef) for name, coef in self.coefficients.items() if coef]
        return tuple(name for name, _ in terms), tuple(coef for _, coef in terms)

    def log_odds(self, features: Mapping[str, float]) -> tuple[float, dict[str, float]]:
        """The log-odds of one case and each feature's contribution to it."""
        contributions = {name: coef * features.get(name, 0.0) for name, coef in self.coefficients.items()}
        return self.intercept + sum(contributions.values()), contributions

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> "Model":
        """A model from a `[dedupe.model]` TOML table."""
        coefs = {k: float(v) for k, v in dict(table.get("coefficients", {})).items()}
        unknown = set(coefs) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown dedupe features: {sorted(unknown)}")
        return cls(float(table.get("intercept", 0.0)), coefs, float(table.get("threshold", 0.5)),
                   float(table.get("case_support", 0.0)), str(table.get("fitted_on", "")))

    @classmethod
    def from_file(cls, path: str | Path) -> "Model":
        """A model from a TOML file holding `[dedupe.model]` (or a bare `[model]` / top-level table)."""
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        table = data.get("dedupe", {}).get("model") or data.get("model") or data
        return cls.from_table(table)

    @staticmethod
    @lru_cache(maxsize=1)
    def default() -> "Model":
        """The shipped model (dedupe/model.toml): fitted on every labelled set."""
        return Model.from_file(DEFAULT_MODEL)

    def to_toml(self) -> str:
        """The `[dedupe.model]` table as TOML text."""
        lines = ["[dedupe.model]"]
        if self.fitted_on:
            lines.append(f"fitted_on = {self.fitted_on!r}".replace("'", '"'))
        lines += [f"intercept = {self.intercept:.4f}", f"threshold = {self.threshold:.3f}",
                  f"case_support = {self.case_support:.4f}", "", "[dedupe.model.coefficients]"]
        lines += [f"{name} = {self.coefficients.get(name, 0.0):.4f}" for name in FEATURES]
        return "\n".join(lines) + "\n"


def load_model(profile: Mapping[str, Any] | None, base: Path | None = None) -> Model:
    """The profile's `[dedupe.model]` table, or the file `[dedupe] model_file` names, else the shipped model."""
    table = dict((profile or {}).get("dedupe", {}))
    if isinstance(table.get("model"), Mapping):
        return Model.from_table(table["model"])
    path = table.get("model_file")
    if path:
        path = Path(path)
        if not path.is_absolute() and base is not None:
            path = base / path
        return Model.from_file(path)
    return Model.default()
