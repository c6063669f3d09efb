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


def test_the_fitted_engine_decides_in_the_pipeline_and_counts_what_it_indexed(database_url, tmp_path, case_system):
    from sqlalchemy import func, select

    from gateway.tables import case_links, dedupe_frequencies, tickets
    from tests.harness.gateway import make_gateway

    gw = make_gateway(database_url, tmp_path, DOWNSTREAM_URL=case_system.url,
                      profile={"dedupe": {"engine": "fitted", "fitted": {"df_batch": 2}}})
    try:
        text = "洪山区桂苑小区南门烧烤摊每天营业到凌晨两点，油烟和噪音很大，楼上住户无法入睡"
        gw.post_app({"text": text, "contact": {"user_id": "u-1"}})
        gw.drain()
        gw.post_app({"text": text, "contact": {"user_id": "u-2"}})  # the same report from another citizen
        gw.post_app({"text": "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运"})
        gw.drain()
        with gw.runtime.engine.connect() as conn:
            cases = [r.case_id for r in conn.execute(select(tickets.c.case_id).order_by(tickets.c.id))]
            evidence = [r.evidence for r in conn.execute(select(case_links.c.evidence).order_by(case_links.c.id))]
            docs = conn.execute(select(dedupe_frequencies.c.df).where(dedupe_frequencies.c.gram == "")).scalar()
            grams = conn.execute(select(func.count()).select_from(dedupe_frequencies)).scalar()
        assert cases[0] == cases[1] != cases[2], evidence
        assert "contributions" in evidence[1] and evidence[1]["shared_names"] == ["桂苑小区"]
        assert docs and docs >= 2 and grams > 10  # a full batch was written to the store
    finally:
        gw.runtime.engine.dispose()


def _prior_worker(batch=2):
    # A prior and character estimates, as the fitted engine's table has: the floats a read must reproduce exactly.
    return SimpleNamespace(df=DocumentFrequencies({"电梯": 3.5, "停水": 0.25}, 10.0, batch,
                                                  chars={"电": 0.3, "梯": 0.7, "故": 0.11, "障": 0.13}))


def _read_whole(engine) -> DocumentFrequencies:
    fresh = _prior_worker().df
    with engine.connect() as conn:
        from gateway.dedupe_index import load_frequencies
        load_frequencies(conn, fresh)
    return fresh


def test_a_worker_reads_back_only_what_changed_and_holds_the_same_table_as_a_whole_read(database_url):
    from sqlalchemy import event, text
    engine = make_engine(database_url)
    migrate(engine)
    read: list[int] = []

    @event.listens_for(engine, "after_cursor_execute")
    def _rows(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT dedupe_frequencies.gram"):
            read.append(cursor.rowcount)

    try:
        one, two = _prior_worker(), _prior_worker()
        sync_frequencies(engine, one)
        sync_frequencies(engine, two)
        batches = [(one, {"电梯": 1, "故障": 1, "梯子": 1}), (two, {"电梯": 2, "停水": 1}), (one, {"故障": 1}),
                   (two, {f"新{i}": 1 for i in range(40)}), (one, {"梯子": 3, "电梯": 1})]
        for worker, counts in batches:
            worker.df.pending.update(counts)
            worker.df.pending_docs = 2
            read.clear()
            assert sync_frequencies(engine, worker)
            whole = _read_whole(engine)
            # Float for float what reading the whole table gives, other workers' batches included.
            assert (worker.df.df, worker.df.corpus, worker.df.docs, worker.df.total) == \
                   (whole.df, whole.corpus, whole.docs, whole.total)
        # The last sync read the rows written since `one`'s previous read (two's 40 new bigrams, and its own batch's
        # two bigrams and the count of documents), not the whole table.
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM dedupe_frequencies")).scalar()
        if engine.dialect.name == "postgresql":  # (sqlite3 gives no row count for a SELECT)
            assert read[0] == 40 + 1 + 2 < stored
        # An emptied table (seq starts again) is read whole: nothing stays stale.
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM dedupe_frequencies"))
        one.df.pending.update({"电梯": 1})
        one.df.pending_docs = 2
        assert sync_frequencies(engine, one)
        assert one.df.docs == 2 and one.df.corpus == {"电梯": 1}
    finally:
        engine.dispose()
