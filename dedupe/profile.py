"""The deduper's tunables, read once from the city profile's `[dedupe]` table (defaults work for Wuhan)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class DedupeSettings:
    """Every knob of the engine; the profile's `[dedupe]` keys of the same names override the defaults."""

    exact_window_hours: float = 72
    # Sketches: character n-gram size, bottom-k size of the text sketch, how many title n-grams are kept.
    shingle_size: int = 3
    # Only the text's first characters are sketched and searched for names (a bound on a decision's cost).
    max_text_chars: int = 600
    sketch_size: int = 64
    title_grams: int = 24
    # The title's 2-grams less its places and admin units (what the complaint is about), hashes kept.
    topic_grams: int = 16
    max_entities: int = 8
    # Also take the names the normalizer found (`normalized["entities"]`) after the title's own names.
    normalizer_entities: bool = False
    # Blocking: LSH band keys of the text and title n-grams (two bins per band), and one per specific name.
    text_keys: int = 4
    title_keys: int = 2
    min_hash_keys: int = 2
    max_keys: int = 16
    # Text and title keys carry the report's first specific place named in its title (engine.blocking_keys);
    # such a report keeps one min-hash key, this many text band keys and one title band key.
    text_keys_by_place: bool = True
    text_keys_with_place: int = 2
    # Candidates (the live index and MemoryIndex alike): newest `postings_cap` reports per key, then the
    # `max_candidates` sharing the most keys with the new report (dedupe/ranking.py).
    postings_cap: int = 200
    max_candidates: int = 64
    # Decision: the score is text similarity + title similarity weight + a bonus for a shared specific entity.
    threshold: float = 0.5
    title_weight: float = 0.5
    entity_bonus: float = 0.3
    containment_weight: float = 0.5
    # Without a shared specific name, titles alone never merge: the text must overlap this much too.
    min_text_without_entity: float = 0.15
    # ... unless the titles share this many 2-grams of their topic (the title less places and admin units).
    min_shared_topic: int = 6
    # Two door numbers on one road further apart than this are two places (a place conflict), however alike the
    # texts: one template (爆管了，路上全是水) at 解放大道354号 and at 解放大道1731号 is two incidents. Set by
    # hand, wide on purpose (a stretch of one incident, 354号 / 356号附近, stays one); None turns the check off.
    door_number_gap: int | None = 100
    # Reports further apart than this are never merged (None: no limit).
    window_days: float | None = None


def load_settings(profile: Mapping[str, Any] | None) -> DedupeSettings:
    """The `[dedupe]` table of the profile, unknown keys ignored, missing keys defaulted."""
    table = dict((profile or {}).get("dedupe", {}))
    known = {f.name for f in fields(DedupeSettings)}
    return DedupeSettings(**{k: v for k, v in table.items() if k in known})
