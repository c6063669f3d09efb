"""Which parts of a stored report match what the operator typed, as plain (text, matched) segments.

The segments are rendered as text (Jinja autoescape, or `textContent` in the browser), never as HTML, so a
report that holds markup is shown as the characters it holds.
"""
from __future__ import annotations

from typing import Iterable

GRAM = 3  # shorter common runs are mostly function words (的问题, 我们的)


def matched_segments(text: str, typed: str, names: Iterable[str] = ()) -> list[tuple[str, bool]]:
    """`text` cut into runs, each marked True where it shares a 3-character run with `typed` or is a shared name."""
    marks = [False] * len(text)
    grams = {typed[i:i + GRAM] for i in range(len(typed) - GRAM + 1)}
    grams.discard("")
    for i in range(len(text) - GRAM + 1):
        if text[i:i + GRAM] in grams and not text[i:i + GRAM].isspace():
            marks[i:i + GRAM] = [True] * GRAM
    for name in filter(None, names):
        start = text.find(name)
        while start >= 0:
            marks[start:start + len(name)] = [True] * len(name)
            start = text.find(name, start + len(name))
    segments: list[tuple[str, bool]] = []
    for ch, mark in zip(text, marks):
        if segments and segments[-1][1] == mark:
            segments[-1] = (segments[-1][0] + ch, mark)
        else:
            segments.append((ch, mark))
    return segments


def clip(segments: list[tuple[str, bool]], limit: int = 160) -> list[tuple[str, bool]]:
    """The segments cut to about `limit` characters, starting a little before the first match."""
    total = sum(len(s) for s, _ in segments)
    if total <= limit:
        return segments
    first = 0
    for s, mark in segments:
        if mark:
            break
        first += len(s)
    start = max(0, min(first - 20, total - limit))
    out, pos = [], 0
    for s, mark in segments:
        lo, hi = max(start - pos, 0), min(start + limit - pos, len(s))
        if lo < hi:
            out.append((s[lo:hi], mark))
        pos += len(s)
    if start > 0:
        out.insert(0, ("…", False))
    if start + limit < total:
        out.append(("…", False))
    return out
