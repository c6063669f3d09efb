"""The bigram document frequencies workers share through the store: written in batches, read back by all."""
from __future__ import annotations

from types import SimpleNamespace

from dedupe.idf import DocumentFrequencies
from gateway.dedupe_index import sync_frequencies
from gateway.store import make_engine, migrate


def _worker(batch=2):
    return SimpleNamespace(df=DocumentFrequencies(batch=batch))


def test_two_workers_share_their_batches_through_the_store(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    try:
        one, two = _worker(), _worker()
        assert not sync_frequencies(engine, one)  # first call: reads the (empty) table
        one.df.pending.update({"电梯": 1, "故障": 1})
        one.df.pending_docs = 1
        assert not sync_frequencies(engine, one)  # half a batch: nothing written yet
        one.df.pending["电梯"] += 1
        one.df.pending_docs = 2
        assert sync_frequencies(engine, one)
        assert one.df.docs == 2 and one.df.corpus == {"电梯": 2, "故障": 1}
        sync_frequencies(engine, two)  # a second worker starts from the store's table
        assert two.df.docs == 2 and two.df.corpus["电梯"] == 2
        assert two.df.weight("电梯") < two.df.weight("故障") < two.df.weight("停水")
        two.df.pending.update({"电梯": 1, "停水": 2})
        two.df.pending_docs = 2
        assert sync_frequencies(engine, two)
        assert two.df.docs == 4 and two.df.corpus == {"电梯": 3, "故障": 1, "停水": 2}
        one.df.pending.update({"故障": 1})
        one.df.pending_docs = 1
        assert sync_frequencies(engine, one, force=True)  # a forced flush: one sees both workers' batches
        assert one.df.docs == 5 and one.df.corpus == {"电梯": 3, "故障": 2, "停水": 2}
    finally:
        engine.dispose()
