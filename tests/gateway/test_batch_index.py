"""A batch's candidates are what ranking every posting again would choose (gateway.dedupe_index.BatchIndex)."""
from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timezone
from itertools import chain

import pytest

from dedupe.ranking import rank_counted, rank_postings
from gateway.dedupe_index import BatchIndex, key_hash


@pytest.mark.parametrize("seed", range(40))
def test_ranking_from_counts_is_rank_postings(seed):
    rng = random.Random(seed)
    ids = range(1, rng.choice([30, 300, 3000]))   # few ids: many ties at each count
    postings = [rng.sample(ids, rng.randint(0, 25)) for _ in range(rng.randint(0, 40))]
    for limit in (0, 1, 5, 64, 500):
        counts = Counter(chain.from_iterable(postings))
        ranked = rank_counted(counts, limit)
        assert [i for i, _ in ranked] == rank_postings(postings, limit)
        # The plain rule both follow: most shared keys first, the newer (larger id) first among equals.
        assert ranked == sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)[:max(0, limit)]


class _Stored(BatchIndex):
    """A BatchIndex over postings given in memory (what the store's rows would hold), every report open."""

    def __init__(self, stored: dict[str, list[int]], key_lists, limit):
        from dedupe.types import Candidate
        when = datetime(2026, 12, 7, tzinfo=timezone.utc)
        self.store_rows = {key_hash(k): ids for k, ids in stored.items()}

        class Conn:  # just enough of a connection for the two reads
            dialect = type("D", (), {"name": "postgresql"})

            def execute(conn, statement, params):
                if "keys" in params:
                    return [type("Row", (), {"key": n, "ids": _pack(ids)}) for n, ids in self.store_rows.items()]
                wanted = [int(i) for i in params["ids"].strip("{}").split(",") if i]
                return [type("Row", (), {"ticket_id": i, "case_id": i, "received_at": when, "fingerprint": "{}",
                                         "status": "open", "last_update_at": None}) for i in wanted]

        from gateway.dedupe_index import _pack
        super().__init__(Conn(), key_lists, when, 30, limit)
        self.when, self.Candidate = when, Candidate


@pytest.mark.parametrize("seed", range(25))
def test_a_batch_chooses_as_ranking_every_posting_again_would(seed):
    rng = random.Random(seed)
    keys = [f"k{n}" for n in range(rng.randint(3, 25))]
    stored = {k: sorted(rng.sample(range(1, 400), rng.randint(0, 40))) for k in keys if rng.random() < 0.8}
    reports = [(1000 + n, rng.sample(keys, rng.randint(1, min(8, len(keys))))) for n in range(rng.randint(1, 30))]
    # A key listed several times weighs that many (the fitted deduper lists a door number's key 33 times more).
    reports = [(t, q + [q[0]] * rng.choice([0, 0, 1, 33])) for t, q in reports]
    limit = rng.choice([3, 10, 64])
    index = _Stored(stored, [q for _, q in reports], limit)
    everything = {key_hash(k): list(ids) for k, ids in stored.items()}
    for ticket_id, query in reports:
        expected = rank_postings((everything.get(key_hash(k), []) for k in query), limit)
        assert [c.report_id for c in index.candidates(query)] == expected
        filed = rng.sample(sorted(set(query)), rng.randint(1, len(set(query))))
        index.add(ticket_id=ticket_id, case_id=ticket_id, received_at=index.when, keys=filed, fingerprint={})
        for number in dict.fromkeys(key_hash(k) for k in filed):
            everything.setdefault(number, []).append(ticket_id)
