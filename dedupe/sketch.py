"""Text sketches: content shingles, a bottom-k MinHash sketch and its Jaccard/containment estimates.

Hashes are CRC-32 of the UTF-8 shingle, so a fingerprint written by one worker process is read the same way by
every other (Python's own `hash` is salted per process).
"""
from __future__ import annotations

from base64 import b64encode
from binascii import a2b_base64
import re
import struct
from bisect import bisect_left
from zlib import crc32

_NON_CONTENT = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")
# A link ends at the first character a URL cannot hold: Chinese text runs on after a pasted link with no space,
# and `\S+` would eat the rest of the report.
_EXPORT_NOISE = re.compile(r"_x000D_|https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
# Salutations and sign-offs carry no content and are shared by unrelated reports.
_SALUTATION = re.compile(r"^[^：:，,。！!]{0,16}?(领导|书记|市长|县长|区长|主任|局长|厅长|部长|同志|各位)[^：:。！!]{0,8}?[：:，,！!]"
                         r"|(您|你)们?好[！!，,。]?|此致敬礼|谢谢[！!。]?|盼复|望回复|敬请回复|感谢您在百忙之中")
# Generic complaint vocabulary: shingles made of these alone say nothing about which case a report is.
GENERIC_WORDS = """问题 反映 投诉 咨询 举报 建议 请求 希望 要求 领导 政府 部门 相关 有关 我们 他们 你们 现在 目前 已经 没有 可以 什么
怎么 为什么 这个 那个 一个 情况 解决 处理 进行 工作 时间 根据 规定 按照 关于 对于 以及 还是 但是 因为 所以 如果 是否 能否
请问 谢谢 严重 影响 群众 居民 百姓 市民 业主 村民 多次 一直 至今 今年 去年 我们的 的问题 的情况 希望有关 相关部门 有关部门
尽快 及时 帮助 支持 重视 关注 给予 回复 答复 本人 自己 大家 非常 特别 十分 不能 不是 就是 还有 以上 以下 以来""".split()
_GENERIC_SET = frozenset(GENERIC_WORDS)


def content_text(text: str) -> str:
    """Letters, digits and CJK only, salutations and export noise removed: what shingles are cut from."""
    text = text or ""
    if "_x000D_" in text or "http" in text:
        text = _EXPORT_NOISE.sub("", text)
    text = _SALUTATION.sub("", text)
    return _NON_CONTENT.sub("", text)


def shingles(text: str, n: int) -> set[str]:
    """The character n-grams of a content text (the whole text when it is shorter)."""
    if len(text) <= n:
        return {text} if text else set()
    return {text[i:i + n] for i in range(len(text) - n + 1)}


# Generic words end a run of keyable text, and so does "|" (where a caller cut a place name out).
_GENERIC_RE = re.compile("|".join(sorted(map(re.escape, GENERIC_WORDS), key=len, reverse=True)) + r"|\|")






def keyable_hashes(text: str, n: int) -> set[int]:
    """Stable hashes of the n-grams that lie wholly outside generic vocabulary (so 的问题 never counts)."""
    return {crc32(part[i:i + n].encode()) for part in _GENERIC_RE.split(text) for i in range(len(part) - n + 1)}


def hashes(grams: set[str]) -> set[int]:
    """Stable 32-bit hashes of the shingles."""
    return set(map(crc32, map(str.encode, grams)))




def jaccard(a, b, k: int, set_a: set[int] | None = None) -> float:
    """Jaccard estimate from two bottom-k sketches (exact when both sets had at most k elements).

    The estimate is |A∩B| within the k smallest values of A∪B, over the size of that bottom-k.
    """
    if not a or not b:
        return 0.0
    sa = set_a if set_a is not None else set(a)
    both = sa.intersection(b)
    if not both:
        return 0.0
    union = sa.union(b)
    if len(union) <= k:
        return len(both) / len(union)
    kth = sorted(union)[k - 1]
    return sum(1 for v in both if v <= kth) / k


def band_keys(ordered: list[int], bins: int, rows: int) -> list[int]:
    """LSH band keys from ascending hash values: the minimum per hash bin (bins aligned across documents),
    `rows` bins hashed per band.

    A key is shared by two texts only when all its bins' minima agree, so a template phrase common to
    thousands of reports rarely makes a key, while near-identical texts share one with high probability.
    The values being sorted, a bin's minimum is the first value at or above the bin's lower bound.
    """
    if not ordered:
        return []
    shift = 32 - (bins - 1).bit_length()
    size = len(ordered)
    mins: list[int | None] = []
    for b in range(bins):
        at = bisect_left(ordered, b << shift)
        mins.append(ordered[at] if at < size and ordered[at] >> shift == b else None)
    keys = []
    for band in range(0, bins, rows):
        parts = mins[band:band + rows]
        if None not in parts:
            keys.append(crc32(",".join(map(str, parts)).encode()))
    return keys


def containment(jac: float, size_a: int, size_b: int) -> float:
    """|A∩B| / min(|A|,|B|) derived from Jaccard and the set sizes: a short follow-up inside a long report."""
    if not size_a or not size_b:
        return 0.0
    inter = jac * (size_a + size_b) / (1 + jac)
    return min(1.0, inter / min(size_a, size_b))


def pack(values: list[int], nbytes: int = 4) -> str:
    """Hash values as compact base64 (JSON-safe), truncated to `nbytes` (2 or 4) each."""
    if nbytes == 4:
        raw = struct.pack(">%dI" % len(values), *values)
    else:
        raw = struct.pack(">%dH" % len(values), *[v & 0xFFFF for v in values])
    return b64encode(raw).decode("ascii")


def unpack(text: str, nbytes: int = 4) -> tuple[int, ...]:
    """Inverse of `pack` (a tuple: the caller only reads it)."""
    raw = a2b_base64(text) if text else b""
    return struct.unpack(">%d%s" % (len(raw) // nbytes, "I" if nbytes == 4 else "H"), raw)
