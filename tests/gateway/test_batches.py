"""The pipeline a batch at a time: reports of one batch see each other, a batch costs a fixed number of
statements, and one ticket that keeps failing is set aside without holding up the others."""
from __future__ import annotations

import json

import pytest

from sqlalchemy import event, select
from sqlalchemy.engine.interfaces import ExecuteStyle

from gateway.pipeline import process_batch
from gateway.tables import citizen_identities, outbox, ticket_citizens, tickets
from tests.harness.gateway import make_gateway

DUPLICATE = "洪山区珞喻路某小区门口的下水道堵了，污水横流，气味很大"
TWIN = "洪山区珞喻路某小区门口下水道堵塞，污水流到路上，味道很难闻"
PLACES = ["江岸区解放大道", "江汉区中山大道", "硚口区京汉大道", "汉阳区鹦鹉大道", "武昌区武珞路", "青山区和平大道",
          "洪山区雄楚大道"]
PROBLEMS = ["路灯坏了", "下水道堵塞", "夜间施工噪音", "油烟直排", "路面塌陷", "垃圾无人清运", "井盖缺失"]
OTHER = ["江汉区某路口信号灯不亮", "汉阳区某菜场门口垃圾堆了三天", "青山区某工地夜里施工到两点", "江夏区某公交站顶棚漏雨"]


def test_two_duplicates_in_one_batch_make_one_case(gateway, case_system):
    for text in (DUPLICATE, OTHER[0], TWIN):
        gateway.post_app({"text": text, "contact": {"user_id": f"u-{text[:3]}"}})
    placed = process_batch(gateway.runtime, 10)
    assert len(placed) == 3
    assert placed[0].case_id == placed[2].case_id != placed[1].case_id
    gateway.drain()
    events = sorted(case_system.accepted(), key=lambda e: (e["case"]["id"], e["sequence"]))
    joined = [(e["type"], e["sequence"], e["case"]["reports"]) for e in events if e["case"]["id"] == placed[0].case_id]
    assert joined == [("case.opened", 1, 1), ("case.report_added", 2, 2)]
    assert {e["report"]["text"] for e in events} == {DUPLICATE, OTHER[0], TWIN}


def test_a_batch_links_citizens_as_one_ticket_at_a_time_would(gateway):
    # Two reports of one app user naming one phone, and a third user naming the same phone: one citizen for the
    # first two; the phone stays with the first (a claim never moves an identity).
    for user in ("u-1", "u-1", "u-2"):
        gateway.post_app({"text": OTHER[1], "contact": {"user_id": user, "phone": "13900001111"}})
    process_batch(gateway.runtime, 10)
    with gateway.runtime.engine.connect() as conn:
        owners = dict(conn.execute(select(citizen_identities.c.value, citizen_identities.c.citizen_id)).all())
        verified = dict(conn.execute(select(citizen_identities.c.value, citizen_identities.c.verified)).all())
        by_ticket = [r.citizen_id for r in conn.execute(select(ticket_citizens).order_by(ticket_citizens.c.ticket_id))]
        data = [r.data["extra"]["citizen_id"] for r in conn.execute(select(tickets).order_by(tickets.c.id))]
    assert owners["+8613900001111"] == owners["u-1"] != owners["u-2"]
    assert verified == {"u-1": True, "u-2": True, "+8613900001111": False}
    assert by_ticket == data == [owners["u-1"], owners["u-1"], owners["u-2"]]


def _count_statements(engine, work) -> int:
    count = 0

    def counted(conn, cursor, statement, parameters, context, executemany):
        nonlocal count
        # A driver-level executemany sends one statement per row; SQLAlchemy's "insertmanyvalues" sends one.
        one = not executemany or context.execute_style is ExecuteStyle.INSERTMANYVALUES
        count += 1 if one else len(parameters)

    event.listen(engine, "before_cursor_execute", counted)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def test_a_batch_costs_a_fixed_number_of_statements_however_many_tickets_it_holds(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite (embedded, one local writer) updates row by row; the production store is PostgreSQL")
    # No hot level within reach: a case reaching one sends its `case.hot` on top (once per case and level).
    gateway = make_gateway(database_url, tmp_path, profile={"hot": {"levels": [1000]}})
    runtime = gateway.runtime

    def batch_of(n: int, tag: str) -> int:
        for i in range(n):
            text = f"{PLACES[i % len(PLACES)]}{i + 1}号{PROBLEMS[i // len(PLACES) % len(PROBLEMS)]}"
            gateway.post_app({"text": text, "contact": {"user_id": f"{tag}-{i}", "phone": f"1390000{i:04d}"}})
        return _count_statements(runtime.engine, lambda: process_batch(runtime, 100))

    small, large = batch_of(4, "a"), batch_of(40, "b")
    # One statement per table per batch (a step with nothing to do, such as reading reports of an empty index, is
    # skipped; the hot windows are read once per minute the batch spans, the dispatch counts once, the topic groups
    # in a few; scored before the dedupe locks, the batch reads its posting rows again under them): at most 35 with
    # BEGIN and COMMIT whether 4 or 40 tickets, 0.88 a ticket at 40.
    assert small + 2 <= 35 and large + 2 <= 35
    runtime.engine.dispose()


def test_a_ticket_that_keeps_failing_is_set_aside_and_the_others_go_on(gateway, case_system, monkeypatch):
    normalize = gateway.runtime.normalizer.normalize

    def fragile(ticket):
        if "炸" in (ticket.text or ""):
            raise ValueError("a normalizer bug meets odd data")
        return normalize(ticket)

    monkeypatch.setattr(gateway.runtime.normalizer, "normalize", fragile)
    bad = gateway.post_app({"text": "某路口有人炸东西"}).json["reference"]
    good = [gateway.post_app({"text": text}).json["reference"] for text in OTHER]
    gateway.drain()
    assert sorted(e["report"]["reference"] for e in case_system.accepted()) == sorted(good)
    with gateway.runtime.engine.connect() as conn:
        row = conn.execute(select(tickets).where(tickets.c.reference == bad)).one()
    assert row.status == "received" and row.pipeline_failures == 1 and row.pipeline_retry_at is not None
    assert process_batch(gateway.runtime) == []       # backing off: not claimed again yet
    monkeypatch.setattr(gateway.runtime.normalizer, "normalize", normalize)
    assert len(process_batch(gateway.runtime, ids=[row.id])) == 1   # asked for by id, it goes through
    gateway.drain()
    assert bad in {e["report"]["reference"] for e in case_system.accepted()}
    with gateway.runtime.engine.connect() as conn:
        bodies = [json.loads(b) for b in conn.execute(select(outbox.c.body)).scalars()]
    assert sorted(b["type"] for b in bodies) == ["case.opened"] * 5


def test_the_live_pipeline_judges_as_many_candidates_as_the_engine_says(database_url, tmp_path, monkeypatch):
    # The fitted engine sets its own max_candidates ([dedupe.fitted]); `dedupe cluster` reads it from the engine,
    # so the live index must too, or the offline figures would not be the live decisions.
    gateway = make_gateway(database_url, tmp_path, profile={"dedupe": {"engine": "fitted", "max_candidates": 64,
                                                                       "fitted": {"max_candidates": 2}}})
    deduper = gateway.runtime.deduper
    assert deduper.settings.max_candidates == 2
    seen: list[int] = []
    decide = deduper.decide
    monkeypatch.setattr(deduper, "decide", lambda fp, at, candidates, **kw: seen.append(len(candidates)) or
                        decide(fp, at, candidates, **kw))
    for i in range(6):
        gateway.post_app({"text": f"{DUPLICATE}，第{i + 1}次反映", "contact": {"user_id": f"c-{i}"}})
        process_batch(gateway.runtime, 10)
    assert seen == [0, 1, 2, 2, 2, 2]
    gateway.runtime.engine.dispose()


def test_a_callers_second_call_is_known_as_the_same_citizen_in_the_evidence(gateway):
    # A call names its citizen only when the batch links its number; the fingerprint taken for the batch's lock
    # budget comes before that, so the one the decision files must be taken again.
    from tests.hotline.support import call, post_hotline
    for call_id in ("CTI-1", "CTI-2"):
        assert post_hotline(gateway, call("call__transcript_turns.json", call_id=call_id)).status_code == 201
    process_batch(gateway.runtime, 10)
    from gateway.tables import case_links
    with gateway.runtime.engine.connect() as conn:
        links = conn.execute(select(case_links.c.action, case_links.c.evidence).order_by(case_links.c.ticket_id)).all()
    assert [action for action, _ in links] == ["opened", "joined"]
    assert links[1].evidence["same_citizen"] is True


def test_a_duplicate_another_worker_files_while_a_batch_is_scored_is_still_joined(database_url, tmp_path, monkeypatch):
    # A batch scores its candidates before it takes the dedupe locks. A twin another worker files in that moment
    # must still be met: under the locks the batch sees its keys' posting rows changed and reads them again.
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite: one writer at a time, the batch is decided under its lock in one pass")
    gateway = make_gateway(database_url, tmp_path, profile={"dedupe": {"engine": "fitted"}})
    runtime = gateway.runtime
    first = gateway.post_app({"text": DUPLICATE, "contact": {"user_id": "u-1"}}).json["reference"]
    second = gateway.post_app({"text": TWIN, "contact": {"user_id": "u-2"}}).json["reference"]
    with runtime.engine.connect() as conn:
        ids = dict(conn.execute(select(tickets.c.reference, tickets.c.id)).all())
    from gateway import casework
    lock_all_keys, meanwhile, calls = casework.lock_all_keys, [], []

    def other_worker_first(conn, keys, wait_ms):
        calls.append(1)
        if len(calls) == 1:  # the batch holding `second` has scored it and not yet locked: the other worker goes
            meanwhile.append(process_batch(runtime, 1, [ids[first]]))
        lock_all_keys(conn, keys, wait_ms)

    monkeypatch.setattr(casework, "lock_all_keys", other_worker_first)
    placed = process_batch(runtime, 1, [ids[second]])
    assert [p.ticket_id for p in meanwhile[0]] == [ids[first]]
    assert placed[0].case_id == meanwhile[0][0].case_id
    runtime.engine.dispose()
