"""Category: the channel's own category mapped onto the city's taxonomy, or a first-level one suggested from the text.

The suggestion is a multinomial naive Bayes over keyword hits, built at start-up from the keyword lists of the
profile plus the taxonomy's own second- and third-level names (product configuration, not training data). One
Aho-Corasick pass finds the keywords; a character-bigram back-off lets near-misses (物业费 vs 物业管理) count a
little. No model is trained on reports.
"""
from __future__ import annotations

import csv
import logging
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping

from normalizer.automaton import Utf8Automaton

log = logging.getLogger(__name__)

_SEPARATORS = re.compile(r"\s*(?:/|>|＞|-|－|—|\\|\||,|，|、)\s*")
# Words in taxonomy names that say nothing about a topic (其他, 管理...); they are not used as keywords.
_VAGUE = {"其他", "管理", "建设", "服务", "问题", "政策", "事务", "工作"}
_KEYWORD_WEIGHT = 1.0
_BIGRAM_WEIGHT = 0.15
_ALPHA = 0.5


def load_taxonomy(path: Path | None) -> list[tuple[str, str, str]]:
    """Rows (level1, level2, level3) of a taxonomy CSV with a header row; [] when missing."""
    if path is None:
        return []
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        log.warning("taxonomy %s not loaded (%s); categories will not be mapped", path, exc)
        return []
    return [tuple(cell.strip() for cell in row[:3]) for row in rows[1:] if len(row) >= 3 and row[0].strip()]


class Categorizer:
    """Maps channel categories onto the taxonomy and suggests a first-level category from a text."""

    def __init__(self, taxonomy: list[tuple[str, str, str]], keywords: Mapping[str, Iterable[str]] | None = None,
                 min_confidence: float = 0.0):
        self.min_confidence = min_confidence
        self._paths = {"/".join(row): row for row in taxonomy}
        self.level1 = sorted({row[0] for row in taxonomy} | set(keywords or {}))
        self._by_name: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        for row in taxonomy:
            self._by_name[row[0]].add((row[0],))
            self._by_name[row[1]].add((row[0], row[1]))
            self._by_name[row[2]].add(row)
        self._build_model(taxonomy, keywords or {})

    def _build_model(self, taxonomy, keywords) -> None:
        words: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for level1, listed in keywords.items():
            for word in listed:
                if word and len(word) >= 2:
                    words[word][level1] += 1.0
        for level1, level2, level3 in taxonomy:
            for name in (level2, level3):
                for part in re.split(r"[和与及、]", name):
                    if len(part) >= 2 and part not in _VAGUE:
                        words[part][level1] += 0.5
        bigrams: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for word, per_class in words.items():
            for level1, count in per_class.items():
                for i in range(len(word) - 1):
                    bigrams[word[i:i + 2]][level1] += count
        index = {c: i for i, c in enumerate(self.level1)}
        # Naive Bayes with add-alpha smoothing, scored against "word unseen in this class": a keyword adds
        # log((n_c + alpha) / alpha) to the classes that list it and nothing to the others, so a hit's
        # contribution is sparse and precomputed here. (The class-size term is left out on purpose: keyword
        # lists of different lengths should not tilt the prior.)
        entries: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for word, per_class in words.items():
            for c, count in per_class.items():
                entries[word][index[c]] += _KEYWORD_WEIGHT * math.log((count + _ALPHA) / _ALPHA)
        # Character bigrams of the keywords: a weak back-off vote shared among the classes that use them.
        for bigram, per_class in bigrams.items():
            total = sum(per_class.values())
            for c, count in per_class.items():
                entries[bigram][index[c]] += _BIGRAM_WEIGHT * count / total
        # Each key holds a dense row of weights (0.0 for the classes that do not use it): summing the rows of
        # the hits column by column in C gives the same sums, in the same order, as adding the sparse weights
        # one by one in Python, at a fraction of the cost.
        self._automaton = Utf8Automaton()
        for key, weights in entries.items():
            self._automaton.add(key, tuple(weights.get(c, 0.0) for c in range(len(self.level1))))
        self._empty = not entries
        self._automaton.build()
        # The vocabulary itself (keywords and taxonomy names, not their bigrams): what a report is about, in the
        # city's own words, for `topic_words`.
        self._words = Utf8Automaton()
        for word in words:
            self._words.add(word, word)
        self._words.build()

    def topic_words(self, text: str) -> list[str]:
        """The vocabulary's words found in `text` (overlapping ones included), each once, in order of their end.
        Two reports at one place about two problems (a lift, the water) name different ones: the deduper keeps a
        case apart by them (dedupe.fitted, `topic_holds_apart`)."""
        return list(dict.fromkeys(self._words.values(text))) if text else []

    def from_channel(self, raw: str | None) -> dict[str, Any] | None:
        """The channel's category on the taxonomy ({path, level1, confidence, source}), or None if unknown."""
        if not raw or not raw.strip():
            return None
        parts = [p for p in _SEPARATORS.split(raw.strip()) if p]
        if len(parts) >= 3 and "/".join(parts[:3]) in self._paths:
            return self._result("/".join(parts[:3]), parts[0], 1.0, "channel")
        # A bare name: try the most specific part first (a leaf, then a level-2, then a level-1 name).
        for part in reversed(parts):
            matches = self._by_name.get(part)
            if not matches:
                continue
            level1s = {m[0] for m in matches}
            if parts[0] in level1s:
                level1s = {parts[0]}
            if len(level1s) != 1:
                continue   # 其他, 安全生产...: a name under several first-level categories decides nothing
            level1 = level1s.pop()
            full = [m for m in matches if m[0] == level1 and len(m) == 3]
            path = "/".join(full[0]) if len(full) == 1 else None
            return self._result(path, level1, 1.0, "channel")
        return None

    def suggest(self, text: str) -> dict[str, Any]:
        """A first-level category suggested from `text`, with the model's probability as confidence."""
        if self._empty or not text:
            return self._result(None, None, 0.0, None)
        rows = list(self._automaton.values(text))
        if not rows:
            return self._result(None, None, 0.0, None)
        scores = [sum(column) for column in zip(*rows)]
        top = max(scores)
        best = scores.index(top)
        confidence = 1.0 / sum(map(math.exp, map(top.__rsub__, scores)))
        if confidence < self.min_confidence:
            return self._result(None, None, round(confidence, 3), None)
        return self._result(None, self.level1[best], round(confidence, 3), "suggested")

    @staticmethod
    def _result(path, level1, confidence, source) -> dict[str, Any]:
        return {"path": path, "level1": level1, "confidence": confidence, "source": source}
