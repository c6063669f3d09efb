"""What the index stores per report: its rarest character bigrams with their weights, specific names, admin units."""
from __future__ import annotations

import hashlib
from math import log
from base64 import b64encode
from binascii import a2b_base64
from functools import lru_cache
from itertools import chain, islice
from typing import Any, Mapping
from zlib import crc32

from dedupe.idf import DocumentFrequencies
from dedupe.places import SUFFIXES, find_admin_units, find_places, iter_places, match_core
from dedupe.fitted_profile import DedupeSettings
from dedupe import sketch

# Normalizer kinds (`normalized["entities"]`) → our subkinds, for names the normalizer found.
_KIND_TO_SUB = {"community": "community", "road": "road", "village": "village", "town": "town",
                "school": "school", "hospital": "hospital", "company": "company", "shop": "shop",
                "building": "community", "project": "project", "bus_line": "bus_line"}

# Weights are stored as one byte: IDF × 16 (IDF ≤ 15.9, that is up to about 8 million reports).
WEIGHT_SCALE = 16.0
HASH_MASK = 0xFFFFFF  # bigram hashes are kept to 3 bytes (CRC-32, the same in every process)


@lru_cache(maxsize=1 << 16)
def _split_name(name: str) -> tuple[str, str]:
    """(core, suffix) of a name: 桂苑小区 → (桂苑, 小区). Cached: the same places come back in report after report."""
    for cut in range(min(4, len(name) - 1), 0, -1):
        if name[-cut:] in SUFFIXES:
            return match_core(name[:-cut]), name[-cut:]
    return name, ""


def _entities(in_title: list, text: str, normalized: Mapping[str, Any], limit: int, use_normalizer: bool
              ) -> list[list]:
    """[core, suffix, subkind, primary] for each specific name; primary = named in the title (or lead)."""
    out: list[list] = []
    seen = set()

    def add(name: str, sub: str, primary: bool) -> None:
        core, suffix = (name, "") if sub == "bus_line" else _split_name(name)
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


def _admins(in_title: list, normalized: Mapping[str, Any]) -> list[list]:
    """[name, level] of the admin units the title names, plus the normalizer's district when it has one."""
    units = [[name, level] for name, level in in_title][:4]
    district = normalized.get("district")
    if isinstance(district, str) and district and all(u[0] != district for u in units):
        units.append([district, "district_n"])
    return units


def bigrams(text: str) -> dict[str, int]:
    """Each distinct bigram of a content text with its first position (a text of one character is its own gram)."""
    if len(text) < 2:
        return {text: 0} if text else {}
    # Assigned from the end, so each bigram keeps its first position.
    return {text[i:i + 2]: i for i in range(len(text) - 2, -1, -1)}


def rarest(grams: Mapping[str, int], df: DocumentFrequencies, limit: int) -> list[tuple[str, float, bool]]:
    """The `limit` rarest bigrams (earliest first among equals) as (gram, IDF, seen before)."""
    count = df.count
    keyed = sorted((count(g), grams[g], g) for g in grams)[:limit]
    log_total = df.log_total
    corpus = df.corpus
    return [(g, log_total - log(c + 1.0), g in corpus) for c, _, g in keyed]


@lru_cache(maxsize=1 << 15)
def name_hashes(names: tuple[str, ...]) -> frozenset:
    """The bigram hashes of some names (as `pack_grams` hashes them), cached: names recur."""
    return frozenset(crc32(n[i:i + 2].encode()) & HASH_MASK for n in names for i in range(len(n) - 1))


def pack_grams(chosen: list[tuple[str, float, bool]]) -> tuple[str, str]:
    """3-byte bigram hashes and 1-byte weights, base64."""
    hashes = [crc32(g.encode()) & HASH_MASK for g, _, _ in chosen]
    raw = b"".join(h.to_bytes(3, "big") for h in hashes)
    weights = bytes(min(255, int(w * WEIGHT_SCALE + 0.5)) for _, w, _ in chosen)
    return b64encode(raw).decode("ascii"), b64encode(weights).decode("ascii")


def unpack_grams(hashes: str, weights: str) -> tuple[list[int], list[float]]:
    """Inverse of `pack_grams`: hash values and weights, rarest first."""
    raw = a2b_base64(hashes) if hashes else b""
    values = [int.from_bytes(raw[i:i + 3], "big") for i in range(0, len(raw), 3)]
    ws = [b / WEIGHT_SCALE for b in (a2b_base64(weights) if weights else b"")]
    return values, ws


def make_fingerprint(title: str, text: str, citizen: str | None, normalized: Mapping[str, Any],
                     settings: DedupeSettings, df: DocumentFrequencies) -> tuple[dict[str, Any], dict[str, int]]:
    """The JSON-safe fingerprint (well under 1 KB) and the report's distinct bigrams (for the frequency table).

    `g`/`w`: the text's (title included) rarest bigrams and their IDF when fingerprinted; `gs`: how many of
    them had been seen before (the rest were new to the index); `gn`: the norm of those weights; `h`/`hw`/`hn`
    the same for the title alone; `n` the number of distinct bigrams; `e` names; `a` admin units; `c` a citizen
    digest (recorded for operators, never scored).
    """
    text = text[:settings.max_text_chars]
    body = sketch.content_text(text)
    head = sketch.content_text(title)
    places_in_title = find_places(title)
    admins_in_title = find_admin_units(title)
    if head and not body.startswith(head):
        body = head + body
    grams = bigrams(body)
    chosen = rarest(grams, df, settings.text_grams)
    title_chosen = rarest(bigrams(head), df, settings.title_grams) if head else []
    g, w = pack_grams(chosen)
    h, hw = pack_grams(title_chosen)
    # Index keys: the title's and the lead's rarest bigrams (a report names its place and problem early; a long
    # report's rarest bigrams overall are mostly its own details), then the rarest overall.
    lead = rarest(bigrams(body[:settings.lead_chars]), df, settings.lead_keys) if settings.lead_keys else []
    keyed = list(dict.fromkeys([x[0] for x in title_chosen[:settings.title_keys]] + [x[0] for x in lead]
                               + [x[0] for x in chosen[:settings.gram_keys]]))
    k, _ = pack_grams([(x, 0.0, False) for x in keyed])
    fp = {
        "v": 3,
        "g": g, "w": w, "gs": sum(1 for c in chosen if c[2]),
        "gn": round(sum(x[1] * x[1] for x in chosen) ** 0.5, 3),
        "n": len(grams),
        "k": k,
        "h": h, "hw": hw, "hn": round(sum(x[1] * x[1] for x in title_chosen) ** 0.5, 3),
        "e": _entities(places_in_title, text, normalized, settings.max_entities, settings.normalizer_entities),
        "a": _admins(admins_in_title, normalized),
        "c": hashlib.blake2b(citizen.encode(), digest_size=6).hexdigest() if citizen else None,
    }
    return fp, grams

