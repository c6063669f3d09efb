"""An indexed report's fingerprint decoded once (what scoring reads), and a bounded cache of them per process.

A fingerprint is stored as compact JSON (base64 bigram hashes, names as lists); a hot report is a candidate of
dozens of later reports, and decoding it again for each of them cost more than judging it. Fingerprints never
change once filed, so the decoded form can be kept by report id; the cache still checks that the fingerprint it
decoded is the one offered (a test's store or a second `dedupe cluster` run reuses ids), so a stale entry is
never read.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Mapping

from dedupe.compare import name_keys, names_by_subkind, units_by_level
from dedupe.fitted_fingerprint import EXACT_WEIGHT_SUMS, name_hashes, unpack_hashes, unpack_weights
from dedupe.idf import UNSEEN_CHAR_WEIGHT, char_weights
from dedupe.types import StoredFingerprint

# How many of each report's rarest bigrams `rare_unshared` looks at.
RAREST = 6

# Fingerprint versions the fitted engine reads: 3, 4 (adds `u`; a v3 report scores 0 on the features it feeds) and 5
# (`u` chosen and weighed by the index's frequency table, weights in `uw`; a v4 report's `u` weighs jieba's static IDF)
# and 6 (index keys stored apart from `g`: what scoring reads is as in 5).
FITTED_VERSIONS = (3, 4, 5, 6)

def names_of(fingerprint: Mapping[str, Any]) -> frozenset:
    """Hashes of the bigrams of the names and admin units a fingerprint states."""
    return name_hashes(tuple(e[0] + e[1] for e in fingerprint.get("e") or ()) +
                       tuple(a[0] for a in fingerprint.get("a") or ()))


def char_weights_of(fingerprint: Mapping[str, Any]) -> list[float]:
    """The weights of a fingerprint's telling characters `u`, in order: stored (`uw`, v5) or, for a v4 report,
    jieba's static character IDF."""
    stored = fingerprint.get("uw")
    if stored is not None:
        return unpack_weights(stored)
    weights = char_weights()
    return [weights.get(c, UNSEEN_CHAR_WEIGHT) for c in fingerprint.get("u") or ""]


def topic_chars(fingerprint: Mapping[str, Any]) -> frozenset:
    """The characters of the topic words a fingerprint names (`t`; none before session 8's fingerprints)."""
    return frozenset(fingerprint.get("t") or "") - {"、"}


_UNSET = object()

# Each character's one string object (a string's characters are new objects each time it is iterated).
_CHARS: dict[str, str] = {}


def one_char(char: str) -> str:
    """The one string object for this character (bounded by the script: a few thousand characters)."""
    return _CHARS.setdefault(char, char)


class DecodedFingerprint:
    """A candidate's fingerprint as scoring reads it: hashes as ints, names' sets, its characters' mass.

    Every field is read from the stored JSON exactly as `Probe.features` read it from the mapping, so a feature
    computed from here is the same float. The weights and the names' bigrams feed only the topic features, so
    they are decoded on first use.
    """

    __slots__ = ("fp", "version", "distinct", "hashes", "head", "has_title", "title", "title_norm", "norm", "size",
                 "entities", "primary_subs", "admin", "admin_names", "admin_levels", "numbers", "buildings", "chars",
                 "chars_mass", "chars_root", "citizen", "_weights", "_name_grams", "title_distinct", "chars_distinct",
                 "name_keys", "_by_subkind", "hash_set", "title_set", "char_set", "topic", "crossings")

    def __init__(self, fingerprint: Mapping[str, Any]):
        fp = self.fp = fingerprint
        self.version = fp.get("v", 0)
        if self.version not in FITTED_VERSIONS:
            return  # filed by the rules engine: never compared, so nothing more is read
        self.hashes = unpack_hashes(fp.get("g", ""))
        self.head = self.hashes[:RAREST]
        # As sets too: a probe intersects its own sets with them, set with set, which reads the hashes both tables
        # store and never touches a member that is not shared (a list's members are each read, a cache miss apiece
        # in a large index).
        self.hash_set = frozenset(self.hashes)
        # Two bigrams of one report can share a 3-byte hash; scoring takes a faster path when none do.
        self.distinct = len(self.hash_set) == len(self.hashes)
        self.has_title = bool(fp.get("h"))
        self.title = unpack_hashes(fp["h"]) if self.has_title else []
        self.title_set = frozenset(self.title)
        # Distinct members: a probe may then sum the weights of what both hold as a set, in any order (the sums
        # are exact, see EXACT_WEIGHT_SUMS), each member once as the list did.
        self.title_distinct = EXACT_WEIGHT_SUMS and len(self.title_set) == len(self.title)
        self.title_norm = fp.get("hn") or 0.0
        self.norm = fp.get("gn") or 0.0
        self.size = fp.get("n", 0)
        self.entities = fp.get("e") or ()
        self.primary_subs = frozenset(e[2] for e in self.entities if e[3])
        self.name_keys = name_keys(self.entities)
        self._by_subkind: dict | None = None
        self.admin = fp.get("a")
        self.admin_names = frozenset(b[0] for b in self.admin) if self.admin else frozenset()
        self.admin_levels = units_by_level(self.admin) if self.admin else {}
        self.numbers = fp.get("no")
        self.buildings = frozenset(fp["bn"]) if fp.get("bn") else None
        self.crossings = fp.get("cr")
        self.chars = fp.get("u")
        # One string object per character across all reports (`one_char`): the sets' shared members are then the
        # probe's own objects, found by identity. Copied from a set, the frozenset's table is sized for its members
        # (1.2 KB rather than 2.3 KB for 24 characters: the cache holds 20,000 of them).
        self.char_set = frozenset(set(map(one_char, self.chars))) if self.chars else frozenset()
        self.chars_distinct = bool(self.chars) and EXACT_WEIGHT_SUMS and len(self.char_set) == len(self.chars)
        self.chars_mass = self.chars_root = 0.0
        if self.chars:
            self.chars_mass = sum(w * w for w in char_weights_of(fp))
            self.chars_root = math.sqrt(self.chars_mass)
        self.citizen = fp.get("c")
        self.topic = topic_chars(fp)
        self._weights: list[float] | None = None
        self._name_grams: frozenset | None = None

    @property
    def weights(self) -> list[float]:
        """The bigrams' weights (IDF when fingerprinted), in the order of `hashes`."""
        if self._weights is None:
            self._weights = unpack_weights(self.fp.get("w", ""))
        return self._weights

    def detached(self) -> "DecodedFingerprint":
        """A copy sharing every field decoded so far; what it decodes later (the weights, the names' bigrams: the
        topic features the evidence shows) dies with it rather than staying in the cache, 2.5 KB a report."""
        other = object.__new__(DecodedFingerprint)
        for name in DecodedFingerprint.__slots__:
            value = getattr(self, name, _UNSET)
            if value is not _UNSET:
                setattr(other, name, value)
        return other

    @property
    def by_subkind(self) -> dict:
        """Its names by subkind (`dedupe.compare.names_by_subkind`), taken when a place conflict is first asked."""
        if self._by_subkind is None:
            self._by_subkind = names_by_subkind(self.entities)
        return self._by_subkind

    @property
    def name_grams(self) -> frozenset:
        """The bigram hashes of the names and admin units it states."""
        if self._name_grams is None:
            self._name_grams = names_of(self.fp)
        return self._name_grams


def _stored(fp: Mapping[str, Any]) -> bool:
    """`isinstance(fp, StoredFingerprint)`, answered by the type for the two kinds a decision meets (an ABC's
    isinstance runs Python code, asked once or twice per candidate)."""
    kind = type(fp)
    return kind is StoredFingerprint or (kind is not dict and isinstance(fp, StoredFingerprint))


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal fingerprints; two read from the store compare as their JSON texts (neither is parsed)."""
    if _stored(a) and _stored(b):
        return a.text == b.text
    return a == b


class DecodedCache:
    """Report id → its decoded fingerprint, the `maxsize` most recently used (a hot case's reports stay)."""

    def __init__(self, maxsize: int):
        self.maxsize = max(0, int(maxsize))
        self.entries: OrderedDict[int, DecodedFingerprint] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, report_id: int, fingerprint: Mapping[str, Any]) -> DecodedFingerprint:
        """The decoded form of this report's fingerprint, decoding (and keeping) it when not held."""
        entries = self.entries
        dec = entries.get(report_id)
        # The same object (MemoryIndex), or the same one read again from the store: the entry is this report's.
        if dec is not None and dec.fp is fingerprint:
            entries.move_to_end(report_id)
            self.hits += 1
            return dec
        if dec is not None and _same(dec.fp, fingerprint):
            if _stored(fingerprint) and not _stored(dec.fp):
                # Decoded from the dict its batch made, now read from the store: equal (just compared, which
                # parsed the JSON), and kept in the store's form so that every later read compares as text.
                dec.fp = fingerprint
            entries.move_to_end(report_id)
            self.hits += 1
            return dec
        self.misses += 1
        dec = DecodedFingerprint(fingerprint)
        if self.maxsize:
            entries[report_id] = dec
            entries.move_to_end(report_id)
            while len(entries) > self.maxsize:
                entries.popitem(last=False)
        return dec

    def __len__(self) -> int:
        return len(self.entries)
