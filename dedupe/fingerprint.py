"""What the index stores per report: compact sketches of the text and title, specific names, admin units."""
from __future__ import annotations

import hashlib
from typing import Any, Mapping

from dedupe.places import SUFFIXES, find_admin_units, find_places, match_core
from dedupe.profile import DedupeSettings
from dedupe import sketch

# Normalizer kinds (planned `normalized["entities"]`) → our subkinds, for names the normalizer found.
_KIND_TO_SUB = {"community": "community", "road": "road", "village": "village", "town": "town",
                "school": "school", "hospital": "hospital", "company": "company", "shop": "shop",
                "building": "community", "project": "project", "bus_line": "bus_line"}


def _split_name(name: str) -> tuple[str, str]:
    """(core, suffix) of a name: 板桥小区 → (板桥, 小区)."""
    for cut in range(min(4, len(name) - 1), 0, -1):
        if name[-cut:] in SUFFIXES:
            return match_core(name[:-cut]), name[-cut:]
    return name, ""


def _entities(title: str, text: str, normalized: Mapping[str, Any], limit: int, use_normalizer: bool
              ) -> list[list]:
    """[core, suffix, subkind, primary] for each specific name; primary = named in the title (or lead)."""
    in_title = find_places(title)
    in_text = find_places(text)
    lead = in_title or in_text[:2]
    out: list[list] = []
    seen = set()

    def add(name: str, sub: str, primary: bool) -> None:
        core, suffix = (name, "") if sub == "bus_line" else _split_name(name)
        if (core, sub) in seen or len(out) >= limit:
            return
        seen.add((core, sub))
        out.append([core, suffix, sub, 1 if primary else 0])

    for name, _kind, sub in lead:
        add(name, sub, True)
    for ent in (normalized.get("entities") or []) if use_normalizer else []:
        sub = _KIND_TO_SUB.get(ent.get("kind", ""))
        if sub and ent.get("name"):
            add(ent["name"], sub, False)
    for name, _kind, sub in in_title + in_text:
        add(name, sub, False)
    return out


def _admins(title: str, normalized: Mapping[str, Any]) -> list[list]:
    """[name, level] of the admin units the title names, plus the normalizer's district when it has one."""
    units = [[name, level] for name, level in find_admin_units(title)][:4]
    district = normalized.get("district")
    if isinstance(district, str) and district and all(u[0] != district for u in units):
        units.append([district, "district_n"])
    return units


def make_fingerprint(title: str, text: str, citizen: str | None, normalized: Mapping[str, Any],
                     settings: DedupeSettings) -> dict[str, Any]:
    """The JSON-safe fingerprint (well under 1 KB): sketches, names, admin units, a citizen digest."""
    body = sketch.content_text(text)
    head = sketch.content_text(title)
    if head and not body.startswith(head):
        body = head + body
    # One pass: the text sketch is cut from n-grams outside generic vocabulary, and its smallest values are
    # also the blocking keys (a shared minimum is likely exactly when the texts overlap much).
    text_hashes = sketch.hashes(sketch.keyable_shingles(body, settings.shingle_size))
    text_sketch = sketch.bottom_k(text_hashes, settings.sketch_size)
    title_hashes = sketch.hashes(sketch.keyable_shingles(head, 2))
    title_keyable = sketch.hashes(sketch.keyable_shingles(head, 3))
    text_bands = sketch.band_keys(text_hashes, 2 * settings.text_keys, 2)
    title_bands = sketch.band_keys(title_keyable, 2 * settings.title_keys, 2)
    return {
        "v": 1,
        "t": sketch.pack(text_sketch),
        "n": len(text_hashes),
        "h": sketch.pack(sketch.bottom_k(title_hashes, settings.title_grams), 2),
        "hn": len(title_hashes),

        "k": sketch.pack(text_bands),
        "hk": sketch.pack(title_bands),
        "e": _entities(title, text, normalized, settings.max_entities, settings.normalizer_entities),
        "a": _admins(title, normalized),
        "c": hashlib.blake2b(citizen.encode(), digest_size=6).hexdigest() if citizen else None,
    }
