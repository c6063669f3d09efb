"""Names (reordered, verbs, determiners, 路面), title topics, and blocking keys that carry the place."""
from __future__ import annotations

import random

import pytest

from dedupe import Candidate, Deduper
from dedupe.places import crossings, find_places
from tests.dedupe.helpers import NOISE_A, NOISE_B, T0, TEMPLATE_1, TEMPLATE_2, judge, ticket

MARKET_1 = ("请求整治江岸区柳家湾原菜市场周边环境", "柳家湾原菜市场拆除后小摊贩占道经营，污水横流，鸡毛满地，附近居民出行困难，"
            "请求政府组织力量长期管理。")
MARKET_2 = ("再次请求整治江岸区原柳家湾菜市场的环境卫生", "前几天整治过一次，原柳家湾菜市场门口又摆满了摊位，垃圾没人清扫，"
            "消防通道也被堵住了，希望坚持治理。")
TOPIC_1 = ("请求解决硚口区环卫工人夏季高温补贴发放问题", "我们是硚口区的环卫工人，今年七月开始高温作业，按规定应当发放高温补贴，"
           "但是到现在一分钱也没有领到，请劳动部门督促用人单位落实。")
TOPIC_2 = ("硚口区环卫工人夏季高温补贴发放的请求", "天气这么热，扫马路的工人每天在太阳底下干八九个小时，"
           "补贴迟迟不发，工人们意见很大，恳请过问此事。")
LIFT = ("江夏区银杉花园电梯长期故障", "我是银杉花园的业主，银杉花园3栋电梯经常停运，物业一直不修，老人上下楼非常困难。")
BBQ = ("江夏区银杉花园门口烧烤摊噪音扰民", "我是银杉花园的业主，银杉花园门口的烧烤摊每天营业到凌晨，油烟和噪音很大。")


@pytest.mark.parametrize("text, names", [
    ("青山区德天湖路路面塌陷", ["德天湖路"]),          # 路面 is the road's surface, not a second road
    ("请尽快修复路面，督促物业整改", []),               # verbs in front of a suffix are no names
    ("我们是各乡镇的环卫工人", []),                     # "each" town is no town in particular
    ("翠湖华苑物业乱收费", ["翠湖华苑物业"]),
    ("请卫健和水务部门督促物业清洗水箱", []),           # a name never runs across a verb: no 水务物业
    ("东城区柿子里小区水箱没洗", ["柿子里小区"]),        # names ending in 里 are compounds' too
    ("栖霞府9栋楼顶违建", ["栖霞府"]),                 # a building number names the compound before it
    ("12345 栖霞府7栋2单元电梯坏了", ["栖霞府"]),      # a hotline or door number is not part of it
    ("城南区桃溪路88号栖霞府7栋", ["桃溪路", "栖霞府"]),
    ("雁湖壹号5号楼停电", ["雁湖壹号"]),
    ("云锦澜庭12#楼暖气不热", ["云锦澜庭"]),
    ("栖霞府小区9栋", ["栖霞府小区"]),                 # the suffixed name is taken once
    ("我们12号楼整栋暖气都不行", []),                  # no name before the number
    ("整栋5号楼停电", []),                             # a count, not a name
    ("桃溪路27号院3号楼楼道漏水", ["桃溪路"]),          # a yard number is no compound
    ("槐安路青禾路路口有积水", ["槐安路", "青禾路"]),      # 路口 after a road is the crossing, not 青禾路路
    ("桂苑路路面塌陷", ["桂苑路"]),                    # 苑 inside a road's name, 路面 after it
    ("夜里路面很黑，这一段路灯全坏了", []),                 # the words 路面 and 路灯 name no road
    ("槐安路段的路灯坏了", ["槐安路"]),                   # 路段 after a road is its stretch
])
def test_names_found(text, names):
    assert [n for n, _kind, _sub in find_places(text)] == names


@pytest.mark.parametrize("text, found", [
    ("槐安路与青禾路交叉口水管爆裂", [("青禾路", "槐安路")]),
    ("青禾路槐安路路口爆管了", [("青禾路", "槐安路")]),      # either order: one crossing
    ("柏溪路和槐安路交汇处", [("槐安路", "柏溪路")]),
    ("槐安路、柏溪路十字路口", [("槐安路", "柏溪路")]),
    # A stretch from one crossing to the next names both.
    ("槐安路青禾路口至柏溪路口段路灯不亮", [("青禾路", "槐安路"), ("槐安路", "柏溪路")]),
    ("青禾路口到槐安路这边", []),                              # one road before 口: which crossing is not said
    ("槐安路上有个大坑", []),
    ("槐安路小区门口", []),                                    # 门口 of a compound on one road
])
def test_crossings_found(text, found):
    assert crossings(text) == found


def test_a_market_is_no_city():
    from dedupe.places import find_admin_units
    assert find_admin_units("江岸区柳家湾原菜市场") == [("江岸区", "district")]


def test_reordered_name_is_one_place():
    decision = judge(MARKET_1, MARKET_2)
    assert decision.case_id == 7, decision.evidence
    assert decision.evidence["shared_names"]


def test_long_shared_title_topic_joins_without_a_name():
    decision = judge(TOPIC_1, TOPIC_2)
    assert decision.case_id == 7, decision.evidence


def test_same_compound_other_problem_stays_apart():
    decision = judge(LIFT, BBQ)
    assert decision.case_id is None, decision.evidence


def test_text_keys_carry_the_place_so_a_template_elsewhere_shares_none():
    deduper = Deduper({})
    keys_1 = set(deduper.blocking_keys(deduper.fingerprint(ticket(*TEMPLATE_1))))
    keys_2 = set(deduper.blocking_keys(deduper.fingerprint(ticket(*TEMPLATE_2))))
    assert not keys_1 & keys_2
    keys_a = set(deduper.blocking_keys(deduper.fingerprint(ticket(*NOISE_A))))
    keys_b = set(deduper.blocking_keys(deduper.fingerprint(ticket(*NOISE_B))))
    assert "n:桂苑小区" in keys_a & keys_b


def test_decision_does_not_depend_on_candidate_order():
    deduper = Deduper({})
    fps = [deduper.fingerprint(ticket(*r, ext=str(i))) for i, r in enumerate([NOISE_A, NOISE_A, TEMPLATE_1])]
    new = deduper.fingerprint(ticket(*NOISE_B))
    cands = [Candidate(10 + i, i + 1, T0, fp) for i, fp in enumerate(fps)]
    first = deduper.decide(new, T0, cands)
    for seed in range(5):
        random.Random(seed).shuffle(cands)
        again = deduper.decide(new, T0, cands)
        assert (again.case_id, again.evidence.get("matched_report")) == \
            (first.case_id, first.evidence.get("matched_report"))
    assert first.evidence["matched_report"] == 2  # equal scores: the newest report


def test_one_compound_under_two_suffixes_shares_its_keys():
    deduper = Deduper({})
    garden = ("洪山区银杏花园外墙瓷砖脱落", "银杏花园7栋外墙瓷砖大面积脱落，砸坏了楼下的车，请住建部门督促维修。")
    estate = ("洪山区银杏小区7栋外墙掉瓷砖", "银杏小区7栋外墙瓷砖又掉下来了，差点砸到人，希望尽快处理。")
    keys_1 = set(deduper.blocking_keys(deduper.fingerprint(ticket(*garden))))
    keys_2 = set(deduper.blocking_keys(deduper.fingerprint(ticket(*estate))))
    assert "n:银杏小区" in keys_1 & keys_2
    assert judge(garden, estate).case_id == 7


def test_a_compound_named_without_its_tail_is_no_other_compound():
    """Residents drop a development's tail (栖霞 for 栖霞府, 雁湖 for 雁湖壹号): no conflict, though not shared
    either; a road or a company whose name begins alike stays another place."""
    from dedupe.compare import near_name, place_conflicts
    full, short = ["栖霞府", "", "community", 1], ["栖霞", "", "community", 1]
    assert near_name(full, short) and near_name(short, full)
    assert place_conflicts([full], [short], {"community"}) == []
    assert place_conflicts([["雁湖壹号", "", "community", 1]], [["柏舟", "", "community", 1]], {"community"})
    assert not near_name(["栖霞", "路", "road", 1], ["栖霞山", "路", "road", 1])
