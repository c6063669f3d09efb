"""What a citizen's text asks for: a query, a rating, an explicit new report, or (by default) a report."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

_REFERENCE = re.compile(r"^[0-9A-Z][0-9A-Z-]{7,15}$")
# "1"/"2"/"3" as typed on a phone, in half or full width, with or without a comment after it.
# "3 栋楼下有垃圾" is a report, so a comment must follow punctuation, not a bare space.
_RATING = re.compile(r"^([123])\s*(?:$|[，,。.、:：]\s*(.*))$", re.DOTALL)
RATINGS = {1: "满意", 2: "基本满意", 3: "不满意"}
# A message that is only a phone number (perhaps after 电话/手机/联系方式), as citizens answer "how can we call
# you back?": a contact to remember, not a report.
_PHONE_ONLY = re.compile(r"^(?:我的)?(?:联系)?(?:电话|手机|手机号|联系方式|回电)?(?:号码|号)?[:：\s]*"
                         r"((?:\+|00)?(?:86)?[\s-]?(?:1[3-9]\d(?:[\s-]?\d{4}){2}|0\d{2,3}[\s-]?\d{7,8}))$")


@dataclass(frozen=True)
class Intent:
    name: str                    # report | query | rating | new_report | phone
    text: str = ""               # the report text (report, new_report) or the rating comment
    reference: str | None = None  # query: the reference asked about
    rating: int | None = None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def classify_text(text: str, *, query_keywords: Iterable[str], new_report_keywords: Iterable[str]) -> Intent:
    """The intent of one text message; anything not recognised is a report (or a part of one)."""
    folded = _fold(text)
    for keyword in query_keywords:
        if folded.startswith(keyword):
            rest = folded[len(keyword):].strip(" ：:，,。").upper()
            if not rest:
                return Intent("query")
            if _REFERENCE.match(rest):
                return Intent("query", reference=rest)
    for keyword in new_report_keywords:
        if folded.startswith(keyword):
            return Intent("new_report", text=text.strip()[len(keyword):].lstrip(" ：:，,。\n"))
    phone = _PHONE_ONLY.match(folded)
    if phone:
        return Intent("phone", text=phone.group(1))
    match = _RATING.match(folded)
    if match and len(folded) <= 200:
        return Intent("rating", text=(match.group(2) or "").strip(), rating=int(match.group(1)))
    return Intent("report", text=text)
