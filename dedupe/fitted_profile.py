"""The fitted deduper's tunables, read once from the profile's `[dedupe.fitted]` table (defaults work for Wuhan)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class DedupeSettings:
    """Every knob of the engine; the profile's `[dedupe]` keys of the same names override the defaults.

    The scorer's weights are not here: they are fitted (`dedupe fit`) and read from `[dedupe.model]` or
    `model_file` (dedupe/model.py).
    """

    exact_window_hours: float = 72
    # Only the text's first characters are read (a bound on a decision's cost).
    max_text_chars: int = 600
    # Bigrams kept per report (the rarest), for the text (title included) and for the title alone.
    text_grams: int = 64
    title_grams: int = 16
    max_entities: int = 8
    # Characters kept per report, rarest first (its place and problem, robust to paraphrase).
    telling_chars: int = 20
    # Also take the names the normalizer found (`normalized["entities"]`) after the title's own names.
    normalizer_entities: bool = False
    # Blocking: one key per specific name, and the report's rarest bigrams (most distinctive first).
    title_keys: int = 4
    lead_keys: int = 6
    lead_chars: int = 80
    gram_keys: int = 22
    max_keys: int = 32
    # ... and under the head bigram of the first this many names' cores (0: none): a place named in two forms
    # keeps its head where its tail changes (望湖巷 / 望湖菜场后面的巷子, 青枫路那个工地 / 青枫湾工地), and the later
    # report searches by every bigram of its names (`query_name_grams`).
    file_name_heads: int = 1
    # ... and a report looks candidates up by more of its rarest bigrams than it is filed under.
    query_gram_keys: int = 48
    query_title_keys: int = 8
    # ... and by the bigrams of its first this many names (`fitted.name_gram_keys`): all it keeps (`max_entities`),
    # since an operator's summary often names the crossing's two roads before the site (2 before session 9:
    # candidate recall 0.976 -> 0.981, for about one key and one candidate more a report).
    query_name_grams: int = 8
    # Candidates (the live index and MemoryIndex alike): newest `postings_cap` reports per key, then the
    # `max_candidates` sharing the most keys with the new report (dedupe/ranking.py).
    # 40 costs a third less CPU where reports meet the maximum but lost a left-out pair (docs/dedupe.md).
    postings_cap: int = 200
    max_candidates: int = 64
    # Document frequencies: new reports' bigrams become visible in batches of this many reports; a fresh
    # index starts from jieba's word frequencies as if from `df_prior_docs` reports ("none": no prior).
    df_batch: int = 256
    df_prior: str = "jieba"
    df_prior_docs: float = 2000
    # A case is judged on the mean log-odds of its this many best-matching candidate reports.
    case_link: int = 1
    # A case with a report at another place (a conflicting name of one kind) that is no match on its own is
    # not joined (see FittedDeduper._rank_cases).
    conflict_holds_apart: bool = True
    # The same for a report of the case about another problem (topic words with no character in common).
    topic_holds_apart: bool = True
    # Door numbers on one road further apart than this are two places (a conflict); None: numbers ignored.
    door_number_gap: int | None = 100
    # Two reports giving building numbers with none in common (3栋 / 5栋) are two buildings: a case with such a
    # report is not joined.
    buildings_apart: bool = True
    # Reports further apart than this are never merged (None: no limit).
    window_days: float | None = None
    # Candidates' decoded fingerprints a worker keeps (the most recently used); 0 keeps none. About 9 KB each
    # besides the fingerprint (≈ 180 MB at 20,000; the sets scoring reads); `dedupe cluster` keeps every report
    # of its file.
    decoded_cache: int = 20000


# Read from `[dedupe]` itself (the live index reads them there too); the rest from `[dedupe.fitted]`.
SHARED = ("exact_window_hours", "postings_cap", "max_candidates", "window_days", "door_number_gap")


def load_settings(profile: Mapping[str, Any] | None) -> DedupeSettings:
    """`[dedupe.fitted]` of the profile with `[dedupe]`'s shared keys; unknown keys ignored, missing defaulted."""
    dedupe = dict((profile or {}).get("dedupe", {}))
    table = {k: dedupe[k] for k in SHARED if k in dedupe}
    table.update(dedupe.get("fitted") or {})
    known = {f.name for f in fields(DedupeSettings)}
    return DedupeSettings(**{k: v for k, v in table.items() if k in known})
