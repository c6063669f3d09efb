"""What the index stores per report: compact sketches of the text and title, specific names, admin units."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from itertools import chain, islice
from typing import Any, Mapping

from dedupe.places import SUFFIXES, find_admin_units, find_places, iter_places, match_core
from dedupe.profile import DedupeSettings
from dedupe import sketch

# Normalizer kinds (planned `normalized["entities"]`) → our subkinds, for names the normalizer found.
_KIND_TO_SUB = {"community": "community", "road": "road", "village": "village", "town": "town",
                "school": "school", "hospital": "hospital", "company": "company", "shop": "shop",
                "building": "community", "project": "project", "bus_line": "bus_line"}


@lru_cache(maxsize=1 << 16)
def split_name(name: str) -> tuple[str, str]:
    """(core, suffix) of a name: 桂苑小区 → (桂苑, 小区). Cached: the same places come back in report after report."""
    for cut in range(min(4, len(name) - 1), 0, -1):
        if name[-cut:] in SUFFIXES:
            return match_core(name[:-cut]), name[-cut:]
    return name, ""


def report_names(in_title: list, text: str, normalized: Mapping[str, Any], limit: int, use_normalizer: bool
              ) -> list[list]:
    """[core, suffix, subkind, primary] for each specific name; primary = named in the title (or lead)."""
    out: list[list] = []
    seen = set()

    def add(name: str, sub: str, primary: bool) -> None:
        core, suffix = (name, "") if sub == "bus_line" else split_name(name)
        if (core, sub) in seen or len(out) >= limit:
            return
        seen.add((core, sub))
        out.append([core, suffix, sub, 1 if primary else 0])

    # The text is read only as far as the names it takes: a long report's later names would not be kept.
    in_text = iter_places(text)
    lead = in_title or list(islice(in_text, 2))
    for name, _kind, sub in lead:
        add(name, sub, True)
    for ent in (normalized.get("entities") or []) if use_normalizer else []:
        sub = _KIND_TO_SUB.get(ent.get("kind", ""))
        if sub and ent.get("name"):
            add(ent["name"], sub, False)
    for name, _kind, sub in chain(in_title, [] if in_title else lead, in_text):
        if len(out) >= limit:
            break
        add(name, sub, False)
    return out


# A door number right after a road's name: 解放大道354号, 中南路 12 号 (full-width digits too).
_DOOR_NUMBER = re.compile(r"\s*([0-9\uff10-\uff19]{1,5})\s*号")


def road_numbers(names: list[list], text: str, limit: int = 2) -> list[list]:
    """[core, suffix, number] of the first roads the report gives a door number on (解放大道354号 → 354)."""
    out: list[list] = []
    for core, suffix, sub, _primary in names:
        if sub != "road" or not suffix:
            continue
        name, at = core + suffix, text.find(core + suffix)
        while at >= 0:
            found = _DOOR_NUMBER.match(text, at + len(name))
            if found:
                out.append([core, suffix, int(found.group(1))])
                break
            at = text.find(name, at + 1)
        if len(out) >= limit:
            break
    return out


def report_admin_units(in_title: list, normalized: Mapping[str, Any]) -> list[list]:
    """[name, level] of the admin units the title names, plus the normalizer's district and street (the city's
    gazetteer: 街道, the level below the district) when it has them.

    Two 街道 of one district are two places as surely as two districts are: a water cut reported at a compound in
    each, in two short texts that share the district and the problem's words, is two cases."""
    units = [[name, level] for name, level in in_title][:4]
    for key, level in (("district", "district_n"), ("street", "street_n")):
        name = normalized.get(key)
        if isinstance(name, str) and name and all(u[0] != name for u in units):
            units.append([name, level])
    return units


def title_topic(head: str, names: list[str]) -> str:
    """The title's content text with the places it names cut out ("|"): what the complaint is about, not where.

    A shared place already earns the entity bonus; counted again in the title's n-grams it would make a
    different problem at the same compound (停水 / 烧烤摊噪音) look alike.
    """
    for name in sorted(names, key=len, reverse=True):
        if name in head:
            head = head.replace(name, "|")
    return head


def make_fingerprint(title: str, text: str, citizen: str | None, normalized: Mapping[str, Any],
                     settings: DedupeSettings) -> dict[str, Any]:
    """The JSON-safe fingerprint (well under 1 KB): sketches, names, admin units, a citizen digest."""
    # A report states its problem early; a long one's later history would only cost time (and bound none).
    text = text[:settings.max_text_chars]
    body = sketch.content_text(text)
    head = sketch.content_text(title)
    places_in_title = find_places(title)
    admins_in_title = find_admin_units(title)
    topic = title_topic(head, [p[0] for p in places_in_title] + [a[0] for a in admins_in_title])
    if head and not body.startswith(head):
        body = head + body
    # One pass: the text sketch is cut from n-grams outside generic vocabulary, and its smallest values are
    # also the blocking keys (a shared minimum is likely exactly when the texts overlap much).
    text_hashes = sorted(sketch.keyable_hashes(body, settings.shingle_size))
    title_hashes = sorted(sketch.keyable_hashes(head, 2))
    topic_hashes = sorted(sketch.keyable_hashes(topic, 2))
    title_keyable = sorted(sketch.keyable_hashes(head, 3))
    text_sketch = text_hashes[:settings.sketch_size]
    text_bands = sketch.band_keys(text_hashes, 2 * settings.text_keys, 2)
    title_bands = sketch.band_keys(title_keyable, 2 * settings.title_keys, 2)
    names = report_names(places_in_title, text, normalized, settings.max_entities, settings.normalizer_entities)
    return {
        "v": 2,
        "t": sketch.pack(text_sketch),
        "n": len(text_hashes),
        "h": sketch.pack(title_hashes[:settings.title_grams], 2),
        "hn": len(title_hashes),
        "p": sketch.pack(topic_hashes[:settings.topic_grams], 2),
        "k": sketch.pack(text_bands),
        "hk": sketch.pack(title_bands),
        "e": names,
        "no": road_numbers(names, f"{title} {text}"),
        "a": report_admin_units(admins_in_title, normalized),
        "c": hashlib.blake2b(citizen.encode(), digest_size=6).hexdigest() if citizen else None,
    }
