"""`case.opened` carries the suggested unit: from the routing table, and learned from `assigned` updates."""
from __future__ import annotations

import io
import json

from sqlalchemy import select

from config import load_settings
from gateway.dispatch_cli import run_evaluate
from gateway.tables import dispatch_counts
from tests.harness.gateway import DOWNSTREAM_SECRET, make_gateway, test_environ

WATER = "城乡建设/城市建设和市政管理/自来水供应"
TREES = "城乡建设/城市建设和市政管理/园林绿化"
PLACES = ["红卫路街道幸福小区", "冶金街道钢花新村", "新沟桥街道建设小区", "工人村街道青和居", "厂前街道红钢城小区",
          "武东街道武东小区"]


def opened(case_system, case_id):
    return next(e for e in case_system.accepted() if e["type"] == "case.opened" and e["case"]["id"] == case_id)


def new_case(gw, text, category, user):
    reference = gw.post_app({"text": text, "category": category, "contact": {"user_id": user}}).json["reference"]
    gw.drain()
    return gw.get(f"/api/v1/tickets/{reference}").json["case"]["id"]


def assign(gw, case_id, unit, at):
    body = {"case_id": case_id, "status": "assigned", "message": "已派单", "unit": unit, "updated_at": at}
    answer = gw.post_signed("/api/v1/case-updates", body, secret=DOWNSTREAM_SECRET)
    assert answer.status_code == 200 and answer.json["applied"]


def test_table_then_learned_then_both(database_url, tmp_path, case_system):
    gw = make_gateway(database_url, tmp_path, DOWNSTREAM_URL=case_system.url, profile={"dispatch": {
        "table_weight": 1, "routes": [{"category": WATER, "district": "*", "unit": "市水务局"}]}})
    try:
        water = new_case(gw, f"青山区{PLACES[0]}从早上开始停水", WATER, "u-0")
        assert opened(case_system, water)["case"]["suggested_unit"] == {"name": "市水务局", "score": 1.0,
                                                                         "basis": "table"}
        trees = new_case(gw, "青山区八吉府街道滨江苑门口的树倒了压住了路", TREES, "u-t")
        assert trees != water
        assert opened(case_system, trees)["case"]["suggested_unit"] is None   # no route, nothing learned yet

        # The case system sends these cases to the district's own water station.
        assign(gw, water, "青山区供水站", "2026-11-28T10:00:00+08:00")
        for i, place in enumerate(PLACES[1:4], 1):
            case_id = new_case(gw, f"青山区{place}停水两天了", WATER, f"u-{i}")
            assign(gw, case_id, "青山区供水站", f"2026-11-28T1{i}:00:00+08:00")
        learned = new_case(gw, f"青山区{PLACES[4]}没有水", WATER, "u-4")
        suggestion = opened(case_system, learned)["case"]["suggested_unit"]
        assert suggestion["name"] == "青山区供水站" and suggestion["basis"] == "learned"
        assert 0.5 < suggestion["score"] < 1
        # Where the record agrees with the table, the basis is both.
        assign(gw, trees, "市园林局", "2026-11-28T10:00:00+08:00")
        assign(gw, new_case(gw, "青山区钢花村街道钢都花园的行道树枯死了", TREES, "u-t2"), "市园林局",
               "2026-11-28T10:00:00+08:00")
        gw.runtime.settings.profile["dispatch"]["routes"].append(
            {"category": TREES, "district": "*", "unit": "市园林局"})
        again = new_case(gw, f"青山区{PLACES[5]}路边大树被风吹断", TREES, "u-5")
        assert opened(case_system, again)["case"]["suggested_unit"]["basis"] == "both"
        assert opened(case_system, again)["case"]["suggested_unit"]["name"] == "市园林局"

        # A reassignment moves the case's counts; a repeat of the same unit counts nothing.
        assign(gw, learned, "青山区供水站", "2026-11-28T15:00:00+08:00")
        assign(gw, learned, "市水务局", "2026-11-28T16:00:00+08:00")
        assign(gw, learned, "市水务局", "2026-11-28T17:00:00+08:00")
        with gw.runtime.engine.connect() as conn:
            prior = dict(conn.execute(select(dispatch_counts.c.unit, dispatch_counts.c.cases)
                                      .where(dispatch_counts.c.feature == "*")).all())
        assert prior == {"青山区供水站": 4, "市水务局": 1, "市园林局": 2, "": 7}

        # `dispatch evaluate` on the store's cases: each case that has a unit, in time order.
        out = io.StringIO()
        env = test_environ(database_url, tmp_path)
        result = run_evaluate(load_settings(environ=env, dotenv_path=None), None, out)
        assert result["cases"] == 7 and result["table"]["cases"] == 2
        assert "top-1" in out.getvalue() and "learned" in out.getvalue()
    finally:
        gw.runtime.engine.dispose()


def test_evaluate_reads_a_replay_file_and_refuses_a_bad_one(tmp_path, capsys):
    from gateway.cli import main
    lines = [{"received_at": f"2026-10-{1 + i // 10:02d}T{i % 10:02d}:00:00+08:00", "category": WATER,
              "district": "青山区", "text": "停水", "unit": "青山区供水站"} for i in range(20)]
    replay = tmp_path / "replay.jsonl"
    replay.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    assert main(["dispatch", "evaluate", "--replay", str(replay), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["cases"] == 20 and result["learned"] == {"cases": 6, "top1": 1.0, "top3": 1.0, "answered": 1.0}
    (tmp_path / "bad.jsonl").write_text('{"text": "停水"}\n', encoding="utf-8")
    assert main(["dispatch", "evaluate", "--replay", str(tmp_path / "bad.jsonl")]) == 2
    assert "received_at" in capsys.readouterr().err


def test_call_entry_shows_the_suggestion_while_the_call_is_keyed_in(operators):
    from tests.console.conftest import signed_in
    console = signed_in(operators, "wang")
    page = console.get("/console/calls/new").get_data(as_text=True)
    assert 'id="dispatch-hint"' in page and "dispatch_hint.js" in page
    hint = console.get("/console/dispatch-suggest", query_string={
        "text": "红卫路街道幸福小区从早上开始停水", "district": "青山区", "category": WATER}).json
    # The shipped Wuhan table routes water supply to the city's water authority.
    assert hint == {"suggested_unit": {"name": "市水务局", "score": 1.0, "basis": "table"}, "category": WATER,
                    "district": "青山区"}
    assert console.get("/console/dispatch-suggest?text=停水").json["suggested_unit"] is None
    assert operators.client.get("/console/dispatch-suggest?text=停水停水停水").status_code in (302, 401)
