"""Which indexed reports a decision looks at: the same rule for the live index and the in-memory one."""
from __future__ import annotations

from typing import Iterable

DEFAULT_MAX_CANDIDATES = 64


def rank_postings(postings: Iterable[list[int]], limit: int) -> list[int]:
    """The `limit` reports sharing the most keys (newer first among equals): the likeliest duplicates.

    `postings` holds one list of report ids per blocking key; ids grow with arrival, so a larger id is newer.
    A boilerplate sentence can fill a key's postings with unrelated reports; ranking by shared keys keeps
    the cost of a decision flat without dropping the report that shares a name and the complaint's words.
    """
    shared: dict[int, int] = {}
    for ids in postings:
        for report_id in ids:
            shared[report_id] = shared.get(report_id, 0) + 1
    return sorted(shared, key=lambda r: (-shared[r], -r))[:limit]
