"""Which indexed reports a decision looks at: the same rule for the live index and the in-memory one."""
from __future__ import annotations

from collections import Counter
from itertools import chain, compress
from operator import itemgetter
from typing import Iterable, Mapping

DEFAULT_MAX_CANDIDATES = 64


def rank_postings(postings: Iterable[list[int]], limit: int) -> list[int]:
    """The `limit` reports sharing the most keys (newer first among equals): the likeliest duplicates.

    `postings` holds one list of report ids per blocking key; ids grow with arrival, so a larger id is newer.
    A boilerplate sentence can fill a key's postings with unrelated reports; ranking by shared keys keeps
    the cost of a decision flat without dropping the report that shares a name and the complaint's words.
    """
    # Counted in C: a decision reads up to 70 keys of 200 ids, and sorting all of them by a Python key function
    # cost more than judging the 64 chosen.
    return [r for r, _ in rank_counted(Counter(chain.from_iterable(postings)), limit)]


def rank_counted(shared: Mapping[int, int], limit: int) -> list[tuple[int, int]]:
    """`rank_postings`' choice made from counts already taken: the `limit` (report id, shared keys) with the most
    shared keys, newer first among equals; that is, in descending (shared keys, id) order. The live index's
    batches count each report's stored postings once and rank from the counts (gateway/dedupe_index.py)."""
    if limit <= 0:
        return []
    if len(shared) <= limit:
        return sorted(shared.items(), key=itemgetter(1, 0), reverse=True)
    # The number of shared keys of the limit-th report, found from how many reports have each count (in C):
    # every report above it is in, then the newest at it.
    levels = Counter(shared.values())
    taken = 0
    for cut in sorted(levels, reverse=True):
        if taken + levels[cut] >= limit:
            break
        taken += levels[cut]
    above = sorted(((i, shared[i]) for i in compress(shared, map(cut.__lt__, shared.values()))),
                   key=itemgetter(1, 0), reverse=True)
    at_cut = sorted(compress(shared, map(cut.__eq__, shared.values())), reverse=True)[:limit - len(above)]
    return above + [(i, cut) for i in at_cut]
