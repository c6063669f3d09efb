"""A batch's rankings of the store's postings: `dedupe.ranking.rank_counted` for every report, counted many ids at
a time when that pays.

`BatchIndex` ranks each report's stored postings once a batch: the ids of its keys' postings counted, then the
`limit` with the most shared keys (newer first among equals). With ~30 keys of up to 200 ids a report, that Counter
was the largest single cost of the pipeline outside the deduper (py-spy, 2026-12-07: about a sixth of it). When the
batch's keys list mostly the same recent reports (the usual case: a district's, a street's and a complaint's keys
name the same few thousand reports), the counts are cheaper as sums of big integers: each key's posting becomes one
integer holding a byte per id of the batch (how often the posting lists that id), a report's counts are the sum of
its keys' integers (one addition in C per key instead of one dict update per id), and its ranking is read off the
sum's bytes from the highest count down. The answer is `rank_counted`'s, element for element
(tests/gateway/test_batch_ranking.py). Where the batch's ids are spread too thin for the sums to pay, where an id
appears twice in a posting, or where a report has more than 255 keys (a count would not fit its byte), the Counter
counts as before.
"""
from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import Hashable, Mapping, Sequence

from dedupe.ranking import rank_counted

# How many bytes of additions (the batch's ids × a report's keys) may stand in for one posting id counted. Measured
# on the shared 2-core box (2026-12-07, load 6-7, the usual mix): a Counter update ~95 ns an id, a big-integer
# addition ~0.7 ns a byte, and reading a ranking off the bytes about twice the additions; 32 stays well inside the
# break-even (~45), so the sums are used only where they are clearly cheaper.
DENSE_BYTES_PER_ID = 32
DENSE_MAX_BYTES = 64 << 20   # the keys' integers held at once
_MARKS = [bytes((count,)) for count in range(256)]


def rank_queries(postings: Mapping[int, list[int]], queries: Mapping[Hashable, Sequence[int]],
                 limit: int) -> dict[Hashable, list[tuple[int, int]]]:
    """For each query (its keys' numbers), `rank_counted(Counter(the ids of those keys' postings), limit)`."""
    empty: list[int] = []
    used = {n for numbers in queries.values() for n in numbers if n in postings}
    counted = sum(len(postings.get(n, empty)) for numbers in queries.values() for n in numbers)
    ids = set(chain.from_iterable(postings[n] for n in used))
    added = len(ids) * sum(len(numbers) for numbers in queries.values())
    lanes = None
    if limit > 0 and ids and added <= DENSE_BYTES_PER_ID * counted and len(ids) * len(used) <= DENSE_MAX_BYTES:
        lanes = _lanes(postings, used, sorted(ids))
    ranked: dict[Hashable, list[tuple[int, int]]] = {}
    for query, numbers in queries.items():
        if lanes is not None and len(numbers) <= 255:
            ranked[query] = _read_off(lanes, numbers, limit)
        else:
            ranked[query] = rank_counted(Counter(chain.from_iterable(postings.get(n, empty) for n in numbers)),
                                         limit)
    return ranked


class _Lanes:
    """The batch's ids in ascending order and, per key, its posting as an integer with one byte per id."""

    __slots__ = ("ids", "of_key")

    def __init__(self, ids: list[int], of_key: dict[int, int]):
        self.ids, self.of_key = ids, of_key


def _lanes(postings: Mapping[int, list[int]], used: set[int], ids: list[int]) -> _Lanes | None:
    where = {report: at for at, report in enumerate(ids)}
    of_key: dict[int, int] = {}
    for number in used:
        lane = bytearray(len(ids))
        posting = postings[number]
        for at in map(where.__getitem__, posting):
            lane[at] = 1
        if lane.count(1) != len(posting):
            return None  # an id twice in one posting (never written by the pipeline): the Counter counts it so
        of_key[number] = int.from_bytes(lane, "little")
    return _Lanes(ids, of_key)


def _read_off(lanes: _Lanes, numbers: Sequence[int], limit: int) -> list[tuple[int, int]]:
    """The ranking of one query from the sum of its keys' integers: highest count first, then the newest id (the
    ids ascend with the bytes, so searching from the end finds the newest first)."""
    of_key = lanes.of_key
    total = sum(of_key[n] for n in numbers if n in of_key)
    if not total:
        return []
    counts = total.to_bytes(len(lanes.ids), "little")   # at most 255 keys of ids listed once: no byte carries over
    ids, ranked = lanes.ids, []
    for count in range(max(counts), 0, -1):
        mark, end = _MARKS[count], len(counts)
        while True:
            at = counts.rfind(mark, 0, end)
            if at < 0:
                break
            ranked.append((ids[at], count))
            if len(ranked) == limit:
                return ranked
            end = at
    return ranked
