"""The routing table, the learned estimate and the replay score, as plain Python."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dispatch import DispatchConfig, MemoryCounts, RoutingTable, case_features, learned_features, predict
from dispatch.replay import replay

TABLE = RoutingTable.from_profile({"dispatch": {"routes": [
    {"category": "城乡建设", "district": "*", "unit": "市建设局"},
    {"category": "城乡建设/市政", "district": "*", "unit": "市市政处"},
    {"category": "城乡建设/市政", "district": "青山区", "unit": "青山区市政科"},
    {"category": "*", "district": "江夏区", "unit": "江夏区政府"},
]}})


def test_the_most_specific_route_wins_and_the_others_follow():
    assert TABLE.units("城乡建设/市政/路灯", "青山区") == ["青山区市政科", "市市政处", "市建设局"]
    assert TABLE.units("城乡建设/市政/路灯", "洪山区") == ["市市政处", "市建设局"]
    assert TABLE.units("城乡建设/市政规划/路灯", "洪山区") == ["市建设局"]   # a prefix by level, not by characters
    assert TABLE.units("教育文体", "江夏区") == ["江夏区政府"]
    assert TABLE.units(None, None) == []
    with pytest.raises(ValueError):
        RoutingTable.from_profile({"dispatch": {"routes": [{"category": "民政"}]}})


def _learn(counts, category, district, text, unit, times=1):
    for _ in range(times):
        counts.learn(learned_features(case_features(category, district, None, text)), unit)


def test_learned_units_by_category_and_district_and_by_a_distinctive_term():
    counts = MemoryCounts()
    _learn(counts, "城乡建设/供水/停水", "青山区", "小区停水了", "青山区水务站", 10)
    _learn(counts, "城乡建设/供水/停水", "洪山区", "小区停水了", "洪山区水务站", 10)
    _learn(counts, "城乡建设/供水/停水", "洪山区", "恒泰物业管的小区停水了", "恒泰专班", 4)
    config = DispatchConfig(table_weight=3)

    def top(district, text, table=()):
        return predict(counts, list(table), case_features("城乡建设/供水/停水", district, None, text), config)

    assert top("青山区", "楼里停水").combined[0].as_dict() == {"name": "青山区水务站", "score": pytest.approx(
        top("青山区", "楼里停水").combined[0].score), "basis": "learned"}
    assert top("洪山区", "楼里停水").learned[0][0] == "洪山区水务站"
    assert top("洪山区", "恒泰物业那边停水").learned[0][0] == "恒泰专班"
    # The table alone answers when nothing was learned; when both agree the basis says so.
    assert predict(MemoryCounts(), ["市水务局"], case_features("城乡建设/供水/停水", "青山区", None, "停水"),
                   config).combined[0].as_dict() == {"name": "市水务局", "score": 1.0, "basis": "table"}
    agreed = top("青山区", "楼里停水", ["青山区水务站"]).combined[0]
    assert agreed.name == "青山区水务站" and agreed.basis == "both"
    # Ten cases of the pair outweigh a table route worth three; one case would not.
    overruled = top("青山区", "楼里停水", ["市水务局"]).combined
    assert overruled[0].name == "青山区水务站" and overruled[0].basis == "learned"
    assert [s.name for s in overruled[:2]] == ["青山区水务站", "市水务局"]
    few = MemoryCounts()
    _learn(few, "城乡建设/供水/停水", "青山区", "小区停水了", "青山区水务站", 1)
    assert predict(few, ["市水务局"], case_features("城乡建设/供水/停水", "青山区", None, "停水"),
                   config).combined[0].name == "市水务局"


def test_replay_scores_only_the_last_30_percent_in_time():
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    cases = []
    for i in range(100):
        district = ["青山区", "洪山区"][i % 2]
        cases.append({"received_at": (start + timedelta(hours=100 - i)).isoformat(), "category": "城乡建设/市政/路灯",
                      "district": district, "text": "路灯不亮", "unit": f"{district}路灯所"})
    result = replay(cases, TABLE, DispatchConfig()).as_dict()
    assert result["warm_up_cases"] == 70 and result["table"]["cases"] == 30
    # The table names 青山区's unit only by another name and has no route for 洪山区's: it is never right here.
    assert result["table"]["top1"] == 0.0 and result["table"]["answered"] == 1.0
    assert result["learned"]["top1"] == 1.0 and result["both"]["top1"] == 1.0
