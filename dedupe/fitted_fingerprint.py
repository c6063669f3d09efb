"""What the index stores per report: its rarest character bigrams with their weights, specific names, admin units."""
from __future__ import annotations

import hashlib
import struct
from math import log
from base64 import b64encode
from binascii import a2b_base64
from functools import lru_cache
from itertools import repeat
from bisect import bisect_left
from typing import Any, Mapping
from zlib import crc32

from dedupe.idf import DocumentFrequencies
from dedupe.places import building_numbers, crossings, find_admin_units, find_places
from dedupe.fingerprint import report_admin_units, report_names, road_numbers
from dedupe.fitted_profile import DedupeSettings
from dedupe import sketch

# The most characters of topic words a fingerprint keeps (`t`): a report naming more is about many things, and
# its first words are what it is about (a title's and a lead's). About 10 on the board's reports, 3 on SMS-like ones.
TOPIC_CHARS = 32

# Weights are stored as one byte: IDF × 16 (IDF ≤ 15.9, that is up to about 8 million reports).
WEIGHT_SCALE = 16.0
HASH_MASK = 0xFFFFFF  # bigram hashes are kept to 3 bytes (CRC-32, the same in every process)
# Weights read back are k / WEIGHT_SCALE: with a power of two, their squares and any sum of up to 64 of those are
# exact in a double, so such sums are the same float in any order (scoring sums shared weights as a set yields them).
EXACT_WEIGHT_SUMS = WEIGHT_SCALE == 2.0 ** round(log(WEIGHT_SCALE, 2))


def bigrams(text: str) -> dict[str, int]:
    """Each distinct bigram of a content text with its first position (a text of one character is its own gram)."""
    if len(text) < 2:
        return {text: 0} if text else {}
    # Assigned from the end, so each bigram keeps its first position.
    return {text[i:i + 2]: i for i in range(len(text) - 2, -1, -1)}


class Ranking:
    """A text's bigrams rarest first (earliest first among equals), and the same for any prefix of the text.

    Sorting (document frequency, position, gram) tuples cost a third of a fingerprint; a stable sort of the
    bigrams in position order by their frequency alone (floats, compared natively) yields the same order, and a
    prefix's bigrams are the first ones in position order (their first position lies in the prefix).
    """

    def __init__(self, grams: Mapping[str, int], df: DocumentFrequencies):
        self.grams = grams
        self.df = df
        table, chars = df.df, df.chars.get
        self.by_position = by_position = sorted(grams, key=grams.__getitem__)
        # `df.count` of each: the table's value, or the characters' estimate for a bigram the table lacks.
        self.counts = counts = dict(zip(by_position, map(table.get, by_position)))
        # The table's values are floats: None marks a bigram it lacks (one lookup per bigram, not two).
        for g in [g for g, c in counts.items() if c is None]:
            counts[g] = chars(g[:1], 0.0) * chars(g[1:], 0.0)
        self.order = sorted(by_position, key=counts.__getitem__)

    def rarest(self, limit: int, end: int | None = None) -> list[tuple[str, float, bool]]:
        """`rarest` of the whole text, or of the bigrams whose first position is below `end`."""
        if end is None:
            chosen = self.order[:limit]
        else:
            inside = self.by_position[:bisect_left(self.by_position, end, key=self.grams.__getitem__)]
            chosen = sorted(inside, key=self.counts.__getitem__)[:limit]
        counts, df = self.counts, self.df
        log_total, corpus = df.log_total, df.corpus
        return [(g, log_total - log(counts[g] + 1.0), g in corpus) for g in chosen]


def rarest(grams: Mapping[str, int], df: DocumentFrequencies, limit: int) -> list[tuple[str, float, bool]]:
    """The `limit` rarest bigrams (earliest first among equals) as (gram, IDF, seen before)."""
    return Ranking(grams, df).rarest(limit)


def gram_hash(gram: str) -> int:
    """A bigram's 3-byte hash, as `pack_grams` stores it and the index files it (`g:` keys)."""
    return crc32(gram.encode()) & HASH_MASK


@lru_cache(maxsize=1 << 15)
def name_hashes(names: tuple[str, ...]) -> frozenset:
    """The bigram hashes of some names (as `pack_grams` hashes them), cached: names recur."""
    return frozenset(crc32(n[i:i + 2].encode()) & HASH_MASK for n in names for i in range(len(n) - 1))


def pack_hashes(hashes: list[int]) -> bytes:
    """3-byte big-endian hashes, concatenated (each packed as 4 bytes, its high zero byte then cut)."""
    raw = bytearray(struct.pack(f">{len(hashes)}I", *hashes))
    del raw[::4]
    return bytes(raw)


def pack_grams(chosen: list[tuple[str, float, bool]]) -> tuple[str, str]:
    """3-byte bigram hashes and 1-byte weights, base64."""
    raw = pack_hashes([crc32(g.encode()) & HASH_MASK for g, _, _ in chosen])
    weights = bytes(min(255, int(w * WEIGHT_SCALE + 0.5)) for _, w, _ in chosen)
    return b64encode(raw).decode("ascii"), b64encode(weights).decode("ascii")


# struct formats for n 3-byte big-endian hashes read as (high byte, low 16 bits) pairs, by n.
_HASH_FORMATS: dict[int, struct.Struct] = {}


def unpack_hashes(packed: str) -> list[int]:
    """The 3-byte hashes of a base64 field of `pack_grams`, in order (one struct call rather than a slice and an
    int per hash: candidates' fields are read on every decision)."""
    if not packed:
        return []
    raw = a2b_base64(packed)
    count = len(raw) // 3
    fmt = _HASH_FORMATS.get(count)
    if fmt is None:
        fmt = _HASH_FORMATS[count] = struct.Struct(">" + "BH" * count)
    parts = fmt.unpack_from(raw)
    values = [(high << 16) | low for high, low in zip(parts[::2], parts[1::2])]
    if len(raw) % 3:  # never written by `pack_grams`; read as the byte-by-byte reader did
        values.append(int.from_bytes(raw[count * 3:], "big"))
    return values


def unpack_weights(packed: str) -> list[float]:
    """The 1-byte weights of a base64 field of `pack_grams`, in order."""
    return [b / WEIGHT_SCALE for b in (a2b_base64(packed) if packed else b"")]


def unpack_grams(hashes: str, weights: str) -> tuple[list[int], list[float]]:
    """Inverse of `pack_grams`: hash values and weights, rarest first."""
    return unpack_hashes(hashes), unpack_weights(weights)


def chinese_chars(body: str) -> list[str]:
    """The distinct Chinese characters of a content text, in order of first occurrence."""
    return [c for c in dict.fromkeys(body) if "\u4e00" <= c <= "\u9fff"]


def telling_chars_by_corpus(chars: list[str], df: DocumentFrequencies, limit: int) -> tuple[str, list[float]]:
    """The `limit` rarest characters under the index's frequency table (rarest first, earliest first among
    equals) and their IDF: a place's and a problem's characters, in a form paraphrase keeps (燃气味 / 煤气味,
    雁湖壹号 / 雁湖1号), while the characters every report of this city's board holds (诉求, 地址, 描述) weigh
    little. Left out, this ranks the labelled pairs better than jieba's static character IDF on every set (AUC of
    the character cosine alone: board 0.934 → 0.961, Dongguan 0.815 → 0.845, incidents 0.950 → 0.955)."""
    table = df.df
    # A character neither the prior nor the corpus holds: rarest (looked up in C, as `Ranking` does).
    counts = dict(zip(chars, map(table.get, chars, repeat(0.0))))
    chosen = sorted(chars, key=counts.__getitem__)[:limit]  # stable: first occurrence breaks ties
    log_total = df.log_total
    # Stored as one byte each, as the bigrams' weights are, and read back as stored on both sides.
    weights = [min(255, int((log_total - log(counts[c] + 1.0)) * WEIGHT_SCALE + 0.5)) / WEIGHT_SCALE
               for c in chosen]
    return "".join(chosen), weights


def make_fingerprint(title: str, text: str, citizen: str | None, normalized: Mapping[str, Any],
                     settings: DedupeSettings, df: DocumentFrequencies) -> tuple[dict[str, Any], dict[str, int]]:
    """The JSON-safe fingerprint (well under 1 KB) and the report's distinct bigrams (for the frequency table).

    `g`/`w`: the text's (title included) rarest bigrams and their IDF when fingerprinted; `gs`: how many of
    them had been seen before (the rest were new to the index); `gn`: the norm of those weights; `k`: the title's
    and the lead's index keys beyond the first `kg` of `g` (filed under both); `x`: the other case of the Latin
    bigrams it searches by (searched by only; absent when none); `h`/`hw`/`hn` the same for the title alone; `n`
    the number of distinct bigrams; `e` names; `no` door numbers on named roads; `bn` building numbers and `cr`
    crossings (each absent when none); `a` admin units (the title's, the normalizer's district and 街道); `u` the
    most telling characters (`telling_chars_by_corpus`) and their weights `uw`; `t` the city's topic words it names
    (absent when none); `c` a citizen digest (recorded for operators, never scored).
    """
    text = text[:settings.max_text_chars]
    body = sketch.content_text(text)
    head = sketch.content_text(title)
    places_in_title = find_places(title)
    admins_in_title = find_admin_units(title)
    if head and not body.startswith(head):
        body = head + body
    grams = bigrams(body)
    # One ranking of the text's bigrams serves the title's and the lead's too: both are prefixes of `body`.
    ranking = Ranking(grams, df)
    chosen = ranking.rarest(settings.text_grams)
    if len(head) >= 2:
        title_chosen = ranking.rarest(settings.title_grams, len(head) - 1)
    else:
        title_chosen = rarest(bigrams(head), df, settings.title_grams) if head else []
    g, w = pack_grams(chosen)
    h, hw = pack_grams(title_chosen)
    # Index keys: the title's and the lead's rarest bigrams (a report names its place and problem early; a long
    # report's rarest bigrams overall are mostly its own details), then the rarest overall.
    lead = []
    if settings.lead_keys:
        if settings.lead_chars >= 2 and len(body) >= 2:
            lead = ranking.rarest(settings.lead_keys, min(settings.lead_chars, len(body)) - 1)
        else:
            lead = rarest(bigrams(body[:settings.lead_chars]), df, settings.lead_keys)
    # The rarest overall are the first `kg` of `g` already: `k` holds only the title's and the lead's keys beyond
    # them (since v6; up to v5 it held all of them, ≈ 80 bytes more a report).
    overall = chosen[:settings.gram_keys]
    in_g = {x[0] for x in overall}
    keyed = list(dict.fromkeys([x[0] for x in title_chosen[:settings.title_keys] + lead if x[0] not in in_g]))
    k, _ = pack_grams([(x, 0.0, False) for x in keyed])
    # Latin letters keep their case in the bigrams (the features read them so); a report also searches by the other
    # case of the ones it searches by (欢乐颂ktv / 欢乐颂KTV), never filed under them: `x`, usually absent.
    searched = chosen[:settings.query_gram_keys] + title_chosen[:settings.query_title_keys]
    other_case = list(dict.fromkeys(v for g, _, _ in searched for v in (g.upper(), g.lower()) if v != g))
    searched_too, _ = pack_grams([(g, 0.0, False) for g in other_case])
    chars = chinese_chars(body)
    telling, char_w = telling_chars_by_corpus(chars, df, settings.telling_chars)
    entities = report_names(places_in_title, text, normalized, settings.max_entities, settings.normalizer_entities)
    admins = report_admin_units(admins_in_title, normalized)
    fp = {
        "v": 6,
        "g": g, "w": w, "gs": sum(1 for c in chosen if c[2]),
        "gn": round(sum(x[1] * x[1] for x in chosen) ** 0.5, 3),
        "n": len(grams),
        "k": k, "kg": len(overall),
        "h": h, "hw": hw, "hn": round(sum(x[1] * x[1] for x in title_chosen) ** 0.5, 3),
        "e": entities,
        "a": admins,
        "no": road_numbers(entities, f"{title} {text}"),
        "u": telling,
        "uw": b64encode(bytes(int(w * WEIGHT_SCALE) for w in char_w)).decode("ascii"),
        "c": hashlib.blake2b(citizen.encode(), digest_size=6).hexdigest() if citizen else None,
    }
    if searched_too:
        fp["x"] = searched_too
    # The building numbers it gives (9栋, 12号楼): two reports giving different ones are two buildings (the case
    # rule in dedupe.fitted). Absent when none.
    buildings = building_numbers(f"{title} {text}")
    if buildings:
        fp["bn"] = buildings
    # The crossings it names (槐安路与青禾路交叉口 → [青禾路, 槐安路]): another crossing of the same road is another
    # place (Probe.has_conflict). Absent when none.
    crossed = crossings(f"{title} {text}")
    if crossed:
        fp["cr"] = [list(pair) for pair in crossed]
    # The city's topic words it names (the normalizer's `topic_words`: its category keywords and taxonomy names),
    # "、"-joined, the first ones up to TOPIC_CHARS: two reports at one place about different problems name
    # different ones (the case rule in dedupe.fitted). Absent when it names none.
    topic = ""
    # A word of a place's name it states is the place, not the problem (小区 in 榆溪湾小区, 公园 in 凤栖湖公园).
    names = [e[0] + e[1] for e in entities]
    for word in normalized.get("topic_words") or ():
        if any(word in name for name in names):
            continue
        if len(topic) + len(word) + 1 > TOPIC_CHARS:
            break
        topic = f"{topic}、{word}" if topic else word
    if topic:
        fp["t"] = topic
    # The frequency table counts the report's characters too (one-character keys beside the bigrams).
    observed = dict.fromkeys(chars, 0)
    observed.update(grams)
    return fp, observed

