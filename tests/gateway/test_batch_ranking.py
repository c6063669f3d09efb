"""`gateway.batch_ranking.rank_queries` answers `rank_counted` over a Counter of each query's posting ids, element
for element, on both of its paths (sums of big integers, and the Counter it falls back to)."""
from __future__ import annotations

import random
from collections import Counter
from itertools import chain

import pytest

from dedupe.ranking import rank_counted
from gateway import batch_ranking
from gateway.batch_ranking import rank_queries


def _reference(postings, queries, limit):
    return {q: rank_counted(Counter(chain.from_iterable(postings.get(n, []) for n in numbers)), limit)
            for q, numbers in queries.items()}


def _live_like_batch(rng: random.Random, reports: int = 100, keys: int = 420, stored: int = 3000, cap: int = 200):
    """A batch as the live index reads it: keys whose postings list the newest of the reports filed under them
    (ascending ids, capped), shared between reports of one place or complaint; reports of ~30 keys."""
    postings = {}
    for number in range(keys):
        share = rng.choice((0.005, 0.02, 0.1, 0.4))
        filed = [i for i in range(1, stored + 1) if rng.random() < share]
        if filed:
            postings[number * 7919 - 10 ** 6] = filed[-cap:]
    numbers = list(postings) + [123456789]   # and a key nothing is filed under yet
    queries = {f"r{i}": rng.sample(numbers, rng.randint(0, 45)) for i in range(reports)}
    return postings, queries


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("limit", [0, 1, 5, 40, 64, 5000])
def test_equal_to_the_counter_on_live_like_batches(seed, limit):
    postings, queries = _live_like_batch(random.Random(seed))
    assert rank_queries(postings, queries, limit) == _reference(postings, queries, limit)


@pytest.mark.parametrize("seed", range(4))
def test_both_paths_are_taken_and_agree(seed, monkeypatch):
    postings, queries = _live_like_batch(random.Random(100 + seed), reports=30)
    expected = _reference(postings, queries, 40)
    calls = Counter()
    for name in ("_read_off", "rank_counted"):
        real = getattr(batch_ranking, name)
        monkeypatch.setattr(batch_ranking, name, lambda *a, _real=real, _name=name: calls.update([_name]) or _real(*a))
    for bytes_per_id in (10 ** 9, 0):   # sums always, then never
        monkeypatch.setattr(batch_ranking, "DENSE_BYTES_PER_ID", bytes_per_id)
        assert rank_queries(postings, queries, 40) == expected
    assert calls["_read_off"] == len(queries) and calls["rank_counted"] == len(queries)


def test_odd_postings_and_queries_fall_back_or_agree(monkeypatch):
    monkeypatch.setattr(batch_ranking, "DENSE_BYTES_PER_ID", 10 ** 9)
    postings = {1: [5, 6, 7], 2: [6, 7, 8], 3: [7], 4: []}
    queries = {"a": [1, 2, 3], "b": [1, 1, 1], "c": [], "d": [4], "e": [9], "f": [3] * 300, "g": [2, 3, 4, 9]}
    assert rank_queries(postings, queries, 2) == _reference(postings, queries, 2)
    assert rank_queries(postings, queries, 10) == _reference(postings, queries, 10)
    twice = {**postings, 2: [6, 7, 7, 8]}   # an id twice in one posting
    assert rank_queries(twice, queries, 3) == _reference(twice, queries, 3)
    assert rank_queries({}, {"a": [1]}, 3) == {"a": []} and rank_queries(postings, {}, 3) == {}


def test_many_ids_spread_thin_use_the_counter(monkeypatch):
    calls = Counter()
    monkeypatch.setattr(batch_ranking, "_lanes", lambda *a: calls.update(["lanes"]))
    postings = {n: list(range(n * 1000, n * 1000 + 200)) for n in range(300)}   # 60,000 ids, none shared
    queries = {i: [i, i + 1, i + 2] for i in range(0, 297, 3)}
    assert rank_queries(postings, queries, 40) == _reference(postings, queries, 40)
    assert not calls
