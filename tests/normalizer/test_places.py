"""Districts, streets and named entities."""
from __future__ import annotations

import pytest

from normalizer.entities import EntityFinder
from normalizer.gazetteer import Gazetteer

WUHAN = {
    "city": "武汉市",
    "city_aliases": ["武汉"],
    "districts": [
        {"name": "江汉区", "streets": ["民族街道", "前进街道"]},
        {"name": "江岸区", "streets": ["后湖街道"]},
        {"name": "东湖新技术开发区", "aliases": ["东湖高新区", "光谷"], "streets": ["关东街道"]},
    ],
}


@pytest.mark.parametrize("texts, expected", [
    (["武汉市江汉区民族街道某小区"], ("江汉区", "民族街道")),
    (["江汉区前进街路灯不亮"], ("江汉区", "前进街道")),              # short form of a street name
    (["后湖街办门口"], ("江岸区", "后湖街道")),                       # street implies its district
    (["东湖高新区关东街道"], ("东湖新技术开发区", "关东街道")),        # alias of a development zone
    (["江汉区后湖街道"], ("江汉区", None)),                          # street of another district: not taken
    (["北京市朝阳区", "江岸区"], ("江岸区", None)),                  # 朝阳区 is not configured here
    (["", "标题江岸区", "正文江汉区"], ("江岸区", None)),             # the first text that names one wins
    (["没有地名的投诉"], (None, None)),
])
def test_locate(texts, expected):
    assert Gazetteer(WUHAN).locate(*texts) == expected


def test_ambiguous_district_resolves_to_the_configured_city():
    beijing = Gazetteer({"city": "北京市", "districts": [{"name": "朝阳区", "streets": ["三里屯街道"]}]})
    assert beijing.locate("朝阳区三里屯街道") == ("朝阳区", "三里屯街道")
    assert beijing.locate("北京市朝阳区") == ("朝阳区", None)
    assert beijing.locate("长春市朝阳区") == (None, None)


def test_no_gazetteer_finds_nothing(tmp_path):
    assert Gazetteer().locate("武汉市江汉区") == (None, None)
    assert Gazetteer.from_file(tmp_path / "missing.toml").locate("江汉区") == (None, None)


def test_shipped_wuhan_gazetteer(normalizer):
    assert normalizer.gazetteer.locate("硚口区汉正街道") == ("硚口区", "汉正街道")
    assert normalizer.gazetteer.locate("武汉经开区沌口街道") == ("武汉经济技术开发区", "沌口街道")
    assert len(normalizer.gazetteer.streets_by_district) >= 16


@pytest.mark.parametrize("text, expected", [
    ("A2区景蓉华苑物业管理有问题", [("景蓉华苑", "community")]),
    ("位于书院路主干道的汇富大厦", [("书院路", "road"), ("汇富大厦", "building")]),
    ("建议增开261路公交车", [("261路", "bus_line")]),
    ("泉水村村民反映村委会不公开", [("泉水村", "village")]),
    ("投诉桐梓坡路益丰大药房以次充好", [("桐梓坡路", "road"), ("益丰大药房", "shop")]),
    ("大托街道大托新村违建", [("大托街道", "town"), ("大托新村", "community")]),
    ("江湾小学门口施工,燕子山安置房项目", [("江湾小学", "school"), ("燕子山安置房项目", "project")]),
    ("美顺物业有限公司", [("美顺物业", "company")]),
    ("同济医院挂号难", [("同济医院", "hospital")]),
    ("地铁2号线延长", [("地铁2号线", "other")]),
    ("景蓉华苑,景蓉华苑", [("景蓉华苑", "community")]),                 # deduplicated
])
def test_entities(text, expected):
    found = [(e["name"], e["kind"]) for e in EntityFinder().find(text)]
    assert found == expected


@pytest.mark.parametrize("text", [
    "这个小区的马路太窄了",                    # generic words, not names
    "从2018年开始修路,到现在都没修好",
    "一条断头路",
    "附近的高档小区和私立幼儿园",
    "家门口那家店",
])
def test_no_junk_entities(text):
    assert EntityFinder().find(text) == []


@pytest.mark.parametrize("text, expected", [
    ("公交从长宁路至青松路", ["长宁路", "青松路"]),        # 至 "to" is not part of the next name
    ("去年建成绿园小区", ["绿园小区"]),                  # 成 completes the verb 建, it does not start the name
    ("工人修好长宁路以后", ["长宁路"]),
    ("开发商建成物业用房", []),                         # 物业 alone is generic
])
def test_no_function_character_at_the_start_of_a_name(text, expected):
    assert [e["name"] for e in EntityFinder().find(text)] == expected


def test_entities_do_not_swallow_a_clause():
    names = [e["name"] for e in EntityFinder().find("强烈要求相关部门治理一下中海国际社区旁边工地")]
    assert names == ["中海国际社区"]


def test_known_entities_keep_names_the_suffix_rule_would_cut():
    assert [e["name"] for e in EntityFinder().find("协和医院挂号难")] == []   # 和 ends a name
    finder = EntityFinder(known={"hospital": ["协和医院"]})
    assert finder.find("协和医院挂号难") == [{"name": "协和医院", "kind": "hospital"}]


def test_profile_known_entities(normalizer, make_ticket):
    entities = normalizer.normalize(make_ticket("在水一方大厦门前积水"))["entities"]
    assert {"name": "在水一方大厦", "kind": "building"} in entities
