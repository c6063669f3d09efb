"""Text cleaning: what the case system reads (`clean_text`) and what dedupe compares (`CompareText`)."""
from __future__ import annotations

import html
import re
import unicodedata
from typing import Iterable

import ahocorasick

from normalizer.traditional import fold_traditional

# Channels (partner platforms, the app's rich editor) may send HTML; script and style bodies are not text.
_HTML_HINT = re.compile(r"<[A-Za-z/!]|&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});")
_HTML_DROP = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[A-Za-z/!][^<>]*>")

# C0/C1 controls (tab and newline are kept), zero-width and bidi marks, lone surrogates, private-use noise.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
                        r"\ud800-\udfff]")
# White space: a run with a line break becomes one line break, any other run one space. Most texts need neither
# (a single space or line break between words), which the cheap check finds.
_WHITE_RUN = re.compile(r"\s+")
_WHITE_TO_FOLD = re.compile(r"\s(?:\s|(?<![ \n]))")

# 〇 is a zero when it sits among Arabic digits (2〇19, 138〇0138000) or in a year written in Chinese digits.
_CIRCLE_IN_DIGITS = re.compile(r"(?<=\d)〇|〇(?=\d)")
_CHINESE_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})(?=年)")
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")

# NFKC of a whole text is slow (~45 µs), its quick check is not. Nearly all that NFKC changes in Chinese text is a
# handful of characters: full-width punctuation and forms, the ideographic and no-break spaces, …, ①, ㎡. Each is
# replaced by its own NFKC form first (which never changes the NFKC of the text), so the quick check usually
# passes. The most frequent ones go by str.replace (a C scan each); a regex finds the rarer ones.
_COMPAT_RANGES = [(0x00A0, 0x00FF), (0x2000, 0x24FF), (0x3000, 0x33FF), (0xFE30, 0xFE6F), (0xFF00, 0xFFEF)]
_COMPAT = {chr(c): unicodedata.normalize("NFKC", chr(c)) for low, high in _COMPAT_RANGES
           for c in range(low, high + 1) if unicodedata.normalize("NFKC", chr(c)) != chr(c)}
_FREQUENT_COMPAT = [(c, _COMPAT[c]) for c in "，\u3000！？：）（；\u00a0"]
_COMPAT_CHARS = re.compile("[" + "".join(map(re.escape, sorted(_COMPAT))) + "]")



def strip_html(text: str) -> str:
    """Drop tags (line breaks for block ends) and unescape entities when `text` looks like HTML."""
    if not _HTML_HINT.search(text):
        return text
    text = _HTML_DROP.sub(" ", text)
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    return html.unescape(text)


def fold_white_space(text: str) -> str:
    """Runs of white space as one line break (when the run has one) or one space."""
    if _WHITE_TO_FOLD.search(text) is None:
        return text
    return _WHITE_RUN.sub(_fold_run, text)


def _fold_run(match: re.Match) -> str:
    return "\n" if "\n" in match.group() else " "


def _nfkc(text: str) -> str:
    for char, replacement in _FREQUENT_COMPAT:
        if char in text:
            text = text.replace(char, replacement)
    if _COMPAT_CHARS.search(text) is not None:
        text = _COMPAT_CHARS.sub(lambda m: _COMPAT[m.group()], text)
    if not unicodedata.is_normalized("NFKC", text):   # combining marks, rarer compatibility characters
        text = unicodedata.normalize("NFKC", text)
    return text


def _clean_once(text: str) -> str:
    text = _nfkc(text)
    if "<" in text or "&" in text:
        text = strip_html(text)
    text = _INVISIBLE.sub("", text)
    text = fold_traditional(text)
    if "〇" in text or "零" in text:   # cheap tests first: few texts have either
        text = _CHINESE_YEAR.sub(lambda m: m.group(1).translate(_CHINESE_DIGITS), text)
        text = _CIRCLE_IN_DIGITS.sub("0", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return fold_white_space(text).strip()


def clean_text(text: str | None) -> str:
    """NFKC, HTML stripped, invisible characters dropped, traditional folded, 〇 as zero, white space folded."""
    if not text:
        return ""
    cleaned = _clean_once(text)
    # Unescaping or tag removal can expose new tags, entities or combining sequences; repeat to a fixed point
    # (bounded) so that clean_text(clean_text(x)) == clean_text(x).
    for _ in range(4):
        if not ("<" in cleaned or "&" in cleaned or "〇" in cleaned) and unicodedata.is_normalized("NFKC", cleaned):
            break
        again = _clean_once(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def truncate(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to `limit` characters (0 means no limit), and whether it was cut."""
    if limit and len(text) > limit:
        return text[:limit], True
    return text, False


class CompareText:
    """Removes greetings and boilerplate (您好, 请尽快处理, 谢谢...) so that dedupe compares the substance."""

    def __init__(self, phrases: Iterable[str]):
        # Aho-Corasick rather than a regex alternation: Python's re tries every phrase at every position.
        self._automaton = ahocorasick.Automaton()
        for phrase in {clean_text(p) for p in phrases if p}:
            if phrase:
                self._automaton.add_word(phrase, len(phrase))
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def __call__(self, text: str) -> str:
        """`text` (already clean) without the configured boilerplate phrases and the punctuation after them."""
        if self._empty or not text:
            return text
        spans = sorted(((end - length + 1, end + 1) for end, length in self._automaton.iter(text)),
                       key=lambda span: (span[0], -span[1]))
        if not spans:
            return text
        parts, position = [], 0
        for start, end in spans:
            if start < position:
                continue   # inside a longer phrase already removed (您好 in 市长您好)
            parts.append(text[position:start])
            # Trailing punctuation goes with the phrase, so "市长您好!" leaves no stray "!" behind.
            while end < len(text) and text[end] in _TRAILING:
                end += 1
            position = end
        parts.append(text[position:])
        return fold_white_space("".join(parts)).strip()


_TRAILING = set(" ,.!:;。，！、：；~…")
