"""Which indexed reports a decision looks at: the same rule for the live index and the in-memory one."""
from __future__ import annotations

from collections import Counter
from itertools import chain, compress
from operator import itemgetter
from typing import Iterable

DEFAULT_MAX_CANDIDATES = 64


def rank_postings(postings: Iterable[list[int]], limit: int) -> list[int]:
    """The `limit` reports sharing the most keys (newer first among equals): the likeliest duplicates.

    `postings` holds one list of report ids per blocking key; ids grow with arrival, so a larger id is newer.
    A boilerplate sentence can fill a key's postings with unrelated reports; ranking by shared keys keeps
    the cost of a decision flat without dropping the report that shares a name and the complaint's words.
    """
    # Counted and filtered in C: a decision reads up to 70 keys of 200 ids, and sorting all of them by a Python
    # key function cost more than judging the 64 chosen.
    shared = Counter(chain.from_iterable(postings))
    if len(shared) <= limit:
        return [r for r, _ in sorted(shared.items(), key=itemgetter(1, 0), reverse=True)]
    if limit <= 0:
        return []
    # The number of shared keys of the limit-th report: every report above it is in, then the newest at it.
    levels = Counter(shared.values())
    taken = 0
    for cut in sorted(levels, reverse=True):
        if taken + levels[cut] >= limit:
            break
        taken += levels[cut]
    above = list(compress(shared, map(cut.__lt__, shared.values())))
    above.sort(reverse=True)
    above.sort(key=shared.__getitem__, reverse=True)  # stable: newest first within each count
    at_cut = list(compress(shared, map(cut.__eq__, shared.values())))
    at_cut.sort(reverse=True)
    return above + at_cut[:limit - len(above)]
