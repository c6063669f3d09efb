"""Document frequencies of character bigrams: what the corpus says is distinctive (IDF), refreshed in batches.

A bigram's weight is its inverse document frequency, ln((N + 1) / (df + 1)), over the reports seen so far plus a
prior of `prior_docs` pseudo-reports. Shared rare runs of characters (an estate's or a brand's name) then weigh
much and a shared template phrase little, without any suffix list. New reports' bigrams are counted into a
pending batch and become visible together (`refresh`), so weights move in steps a live index can share.
"""
from __future__ import annotations

import hashlib
import importlib.util
import marshal
import math
import os
import sys
import tempfile
from collections import Counter
from functools import lru_cache
from typing import Iterable, Mapping


class DocumentFrequencies:
    """Bigram → document frequency (prior + corpus), the number of documents, and a pending batch."""

    def __init__(self, prior: Mapping[str, float] | None = None, prior_docs: float = 0.0, batch: int = 256,
                 chars: Mapping[str, float] | None = None):
        self.prior = dict(prior or {})
        self.prior_docs = float(prior_docs) if prior else 0.0
        # A bigram the prior's words do not hold (most bigrams across two words, 在排, 又在) is estimated from its
        # two characters' frequencies: sqrt of its pseudo count's share, per character (`chars`).
        self.chars = dict(chars or {})
        self.batch = max(1, int(batch))
        # The visible table: prior pseudo-counts and corpus counts in one dict (one lookup per bigram).
        self.df: dict[str, float] = dict(self.prior)
        self.corpus: dict[str, int] = {}
        self.docs = 0
        # A Counter: `update` counts a report's bigrams in C (a Python loop per bigram cost as much as a fingerprint's
        # sort); it is a dict, read as one.
        self.pending: Counter[str] = Counter()
        self.pending_docs = 0
        self.loaded = False  # set by whoever reads a stored table into it (gateway/dedupe_index.py)
        self.seen_seq = 0  # ... and the number of the store's last write it has read
        self._set_total()

    def _set_total(self) -> None:
        self.total = self.docs + self.prior_docs
        self.log_total = math.log(self.total + 1.0)

    def count(self, gram: str) -> float:
        """The bigram's document frequency: corpus plus prior, or the characters' estimate when neither has it."""
        value = self.df.get(gram)
        if value is None:
            chars = self.chars
            return chars.get(gram[:1], 0.0) * chars.get(gram[1:], 0.0)
        return value

    def weight(self, gram: str) -> float:
        """IDF of a bigram under the visible table."""
        return self.log_total - math.log(self.count(gram) + 1.0)

    def observe(self, grams: Iterable[str]) -> bool:
        """Count one report's distinct bigrams into the pending batch; True when the batch is full (refreshed)."""
        self.pending.update(iter(grams))  # an iterator: a dict given would be counted by its values
        self.pending_docs += 1
        if self.pending_docs >= self.batch:
            self.refresh()
            return True
        return False

    def take_pending(self) -> tuple[dict[str, int], int]:
        """The pending batch (bigram counts and documents), emptied: what a live worker writes to the store."""
        batch, docs = self.pending, self.pending_docs
        self.pending, self.pending_docs = Counter(), 0
        return batch, docs

    def refresh(self) -> None:
        """Make the pending batch visible."""
        batch, docs = self.take_pending()
        self.merge(batch, docs)

    def merge(self, counts: Mapping[str, int], docs: int) -> None:
        """Add counts (a batch, or another process's batch read from the store) to the visible table."""
        df, corpus, chars = self.df, self.corpus, self.chars
        # `count` inlined (a method call per bigram was most of a refresh): the same value, plus the count.
        for gram, count in counts.items():
            value = df.get(gram)
            if value is None:
                value = chars.get(gram[:1], 0.0) * chars.get(gram[1:], 0.0)
            df[gram] = value + count
            corpus[gram] = corpus.get(gram, 0) + count
        self.docs += docs
        self._set_total()

    def set_totals(self, totals: Mapping[str, int], docs: int) -> None:
        """Some bigrams' corpus counts set to the store's totals (the rows changed since the last read), and the
        number of documents: the same table, float for float, as `replace` with the whole store's table."""
        df, corpus, prior, chars = self.df, self.corpus, self.prior, self.chars
        for gram, count in totals.items():
            value = prior.get(gram)
            if value is None:
                value = chars.get(gram[:1], 0.0) * chars.get(gram[1:], 0.0)
            df[gram] = value + count
            corpus[gram] = count
        self.docs = docs
        self._set_total()

    def replace(self, counts: Mapping[str, int], docs: int) -> None:
        """The corpus part replaced by the store's table (the prior kept)."""
        self.df = dict(self.prior)
        self.corpus = {}
        self.docs = 0
        self.merge(counts, docs)


# A report of this many words, in the prior's terms: a word of relative frequency f is in a report with
# probability 1 - exp(-WORDS_PER_REPORT * f).
WORDS_PER_REPORT = 120


# Characters in a report, for the chance that two given characters stand side by side somewhere in it.
CHARS_PER_REPORT = 200


@lru_cache(maxsize=8)
def _jieba_dict(path: str | None) -> str | None:
    """The path of jieba's shipped dict.txt (or `path`); None when jieba is not installed. Cached: the character
    weights are asked for per decoded fingerprint, and the import machinery and path joins cost more than a
    comparison."""
    if path is not None:
        return path
    # Found, not imported: only its data file is read, and importing jieba took ≈ 0.9 s of a process's start.
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        return None
    return os.path.join(os.path.dirname(spec.origin), "dict.txt")


@lru_cache(maxsize=4)
def _jieba_tables(path: str) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """jieba's word frequencies, read once per process: (bigram or character → probability of occurring in a report,
    character → its factor of a cross-word bigram's estimate, character → IDF of occurring in a report).

    Deriving them from dict.txt took ≈ 1.3 s a process; they are kept in a file under the user's cache directory
    the first time (`prior_cache_file`) and read back from it after, the same floats."""
    cache = prior_cache_file(path)
    tables = _read_cached_tables(cache) if cache else None
    if tables is None:
        tables = derive_jieba_tables(path)
        if cache:
            _write_cached_tables(cache, tables)
    return tables


# What a cache file's name is derived from besides dict.txt's identity: a change of either format or of the code
# that derives the tables makes a new file rather than reading a stale one.
CACHE_FORMAT = 1


def prior_cache_file(path: str) -> str | None:
    """The file that keeps the tables derived from this dict.txt: `$XDG_CACHE_HOME/gateway` (or ~/.cache/gateway),
    named by a digest of the file's path, size and modification time, this Python's marshal format and the
    deriving code and its constants. None when dict.txt cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    identity = repr((CACHE_FORMAT, os.path.abspath(path), st.st_size, st.st_mtime_ns, sys.version_info[:2],
                     marshal.version, WORDS_PER_REPORT, CHARS_PER_REPORT, _code_digest(derive_jieba_tables.__code__)))
    digest = hashlib.blake2b(identity.encode(), digest_size=10).hexdigest()
    return os.path.join(root, "gateway", f"jieba-prior-{digest}.marshal")


def _code_digest(code) -> str:
    """A digest of a function's code: its bytecode and constants, nested code (comprehensions) included."""
    h = hashlib.blake2b(code.co_code, digest_size=10)
    for const in code.co_consts:
        h.update((_code_digest(const) if hasattr(const, "co_code") else repr(const)).encode())
    h.update(repr(code.co_names).encode())
    return h.hexdigest()


def _read_cached_tables(cache: str):
    """The tables kept in `cache`, or None when it is missing or not what `_write_cached_tables` writes."""
    try:
        with open(cache, "rb") as fh:
            tables = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(tables, tuple) and len(tables) == 3 and all(isinstance(t, dict) for t in tables)):
        return None
    return tables


def _write_cached_tables(cache: str, tables) -> None:
    """Keep the tables in `cache`: written to a temporary file beside it and renamed over it, so a process reading
    it meanwhile (workers start together) sees the whole file or none. Best effort: a read-only home is fine."""
    tmp = None
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(cache), prefix=".jieba-prior-")
        with os.fdopen(fd, "wb") as fh:
            marshal.dump(tables, fh)  # floats as their 8 bytes: read back exactly
        os.replace(tmp, cache)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def derive_jieba_tables(path: str) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """`_jieba_tables` from dict.txt itself."""
    freq: dict[str, float] = {}
    chars: dict[str, float] = {}
    total = 0.0
    char_total = 0.0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ", 2)
            if len(parts) < 2:
                continue
            word, count = parts[0], float(parts[1])
            total += count
            for char in word:
                chars[char] = chars.get(char, 0.0) + count
            char_total += count * len(word)
            for i in range(len(word) - 1):
                gram = word[i:i + 2]
                freq[gram] = freq.get(gram, 0.0) + count
    if not total:
        return {}, {}, {}
    scale = WORDS_PER_REPORT / total
    bigram_p = {gram: -math.expm1(-count * scale) for gram, count in freq.items() if count * scale > 1e-4}
    # Two independent characters side by side: CHARS_PER_REPORT × p(a) × p(b), split as a product of two factors.
    root = math.sqrt(CHARS_PER_REPORT)
    char_f = {c: root * n / char_total for c, n in chars.items()}
    char_idf = {c: -math.log(-math.expm1(-CHARS_PER_REPORT * n / char_total)) for c, n in chars.items()}
    # Characters are in the same table as bigrams (one-character keys; see `jieba_prior`).
    report_p = {**bigram_p, **{c: math.exp(-w) for c, w in char_idf.items()}}
    return report_p, char_f, char_idf


def jieba_prior(path: str | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """(bigram or character → probability of occurring in a report, character → sqrt of its per-position
    probability × the characters of a report), from jieba's word frequencies (its shipped dict.txt).

    Characters are counted in the same table as bigrams (a one-character key): the corpus then says which
    characters tell (a place's, a problem's) and which every report of a city's board holds (诉求, 地址, 反映).
    Read once per process, at start-up (never at import); ({}, {}) when jieba is not installed.
    """
    path = _jieba_dict(path)
    if path is None:
        return {}, {}
    return _jieba_tables(path)[:2]


def prior_counts(probabilities: Mapping[str, float], docs: float) -> dict[str, float]:
    """Probabilities as pseudo document counts over `docs` pseudo-reports."""
    return {gram: p * docs for gram, p in probabilities.items()}


def char_weights(path: str | None = None) -> dict[str, float]:
    """Character → IDF of the character occurring in a report, from jieba's word frequencies (a static prior:
    a character is a morpheme of the language, not of one city, so no corpus count is needed).

    Characters carry a report's problem through paraphrase (燃气味 / 煤气味 / 燃气异味 share 气 and 味; 停电 /
    没电 share 电) where bigrams differ. {} when jieba is not installed.
    """
    path = _jieba_dict(path)
    return _jieba_tables(path)[2] if path is not None else {}


# The IDF of a character the prior never saw (rare characters: parts of names, typos).
UNSEEN_CHAR_WEIGHT = 8.0
