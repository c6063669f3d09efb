"""Emergency check: a report of a fire, gas leak, people trapped or violence must go to 110/119/120 at once.

It runs on the HTTP request path (the reply to the citizen says to call the emergency number), so it is one
Aho-Corasick pass over the raw text plus a look at a few characters around each hit: no cleaning, no regex.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import ahocorasick

from normalizer.traditional import fold_traditional

# Negations are looked for this many characters before a keyword, within the same clause.
_NEGATION_WINDOW = 6
_CLAUSE_END = set(",.!?;:，。！？；：\n")
# Only the head of a long text is scanned on the request path; an emergency is said first.
_QUICK_SCAN_CHARS = 2000

DEFAULT_KINDS = {
    "fire": {"call": "119", "keywords": ["着火", "起火", "失火", "火灾", "爆炸"]},
    "gas": {"call": "119", "keywords": ["煤气泄漏", "燃气泄漏", "天然气泄漏"]},
    "trapped": {"call": "119", "keywords": ["被困", "电梯困人", "溺水"]},
    "medical": {"call": "120", "keywords": ["昏迷", "呼吸困难", "大出血"]},
    "violence": {"call": "110", "keywords": ["打人", "持刀", "砍人", "抢劫"]},
}
DEFAULT_NEGATIONS = ["没有", "没", "未", "无", "不是", "并非", "防止", "预防", "避免"]
DEFAULT_ADVICE = "情况紧急，请立即拨打{numbers}报警求助；12345热线不能代替紧急救援。"


class EmergencyDetector:
    """Keyword hits minus negated ones (没有着火, 未发生火灾) and hazards (火灾隐患)."""

    def __init__(self, config: Mapping[str, Any] | None = None):
        config = config or {}
        kinds = config.get("kinds") or DEFAULT_KINDS
        self.advice_template = config.get("advice") or DEFAULT_ADVICE
        self._keywords = ahocorasick.Automaton()
        for kind, spec in kinds.items():
            for word in spec.get("keywords") or []:
                self._keywords.add_word(_fold(word), (len(word), _fold(word), kind))
        self._calls = {kind: str(spec.get("call") or "110") for kind, spec in kinds.items()}
        self._negations = _automaton(config.get("negations", DEFAULT_NEGATIONS))
        self._hazards = tuple(_fold(w) for w in config.get("hazard_after") or ["隐患", "风险"])
        self._empty = len(self._keywords) == 0
        if not self._empty:
            self._keywords.make_automaton()

    def check(self, text: str | None) -> dict[str, Any]:
        """{"emergency", "matched", "kinds", "advice"}; `matched` lists the keywords that fired, in text order."""
        matched: list[str] = []
        kinds: list[str] = []
        if text and not self._empty:
            text = _fold(text[:_QUICK_SCAN_CHARS])
            for end, (length, word, kind) in self._keywords.iter(text):
                start = end - length + 1
                if self._negated(text, start) or text.startswith(self._hazards, end + 1):
                    continue
                if word not in matched:
                    matched.append(word)
                if kind not in kinds:
                    kinds.append(kind)
        advice = ""
        if matched:
            numbers = "/".join(dict.fromkeys(self._calls[k] for k in kinds))
            advice = self.advice_template.format(numbers=numbers)
        return {"emergency": bool(matched), "matched": matched, "kinds": kinds, "advice": advice}

    def _negated(self, text: str, start: int) -> bool:
        if self._negations is None:
            return False
        lo = start
        while lo > 0 and start - lo < _NEGATION_WINDOW and text[lo - 1] not in _CLAUSE_END:
            lo -= 1
        if lo == start:
            return False
        return any(True for _ in self._negations.iter(text, lo, start))


def _fold(text: str) -> str:
    # Traditional characters only: NFKC would cost more than the whole check on the request path.
    return fold_traditional(text)


def _automaton(words: Iterable[str]):
    words = [_fold(w) for w in words if w]
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton
