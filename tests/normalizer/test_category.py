"""Channel categories mapped onto the taxonomy, and the suggested first-level category."""
from __future__ import annotations

import pytest

from normalizer.category import Categorizer

TAXONOMY = [
    ("城乡建设", "安全生产", "事故处理"),
    ("城乡建设", "城市建设和市政管理", "燃气供应"),
    ("城乡建设", "其他", "其他"),
    ("经济管理", "安全生产", "安全生产管理"),
    ("交通运输", "出租车管理", "出租车"),
    ("交通运输", "其他", "其他"),
]


@pytest.fixture(scope="module")
def categorizer():
    return Categorizer(TAXONOMY, {"交通运输": ["公交", "地铁"], "城乡建设": ["物业", "小区"]})


@pytest.mark.parametrize("raw, path, level1", [
    ("城乡建设/安全生产/事故处理", "城乡建设/安全生产/事故处理", "城乡建设"),
    ("城乡建设 > 安全生产 > 事故处理", "城乡建设/安全生产/事故处理", "城乡建设"),
    ("城乡建设", None, "城乡建设"),                        # level 1 only
    ("燃气供应", "城乡建设/城市建设和市政管理/燃气供应", "城乡建设"),   # a unique leaf
    ("出租车管理", None, "交通运输"),                      # a level-2 name
    ("交通运输/其他", "交通运输/其他/其他", "交通运输"),  # 其他 is decided by its level-1 name
])
def test_channel_category(categorizer, raw, path, level1):
    assert categorizer.from_channel(raw) == {"path": path, "level1": level1, "confidence": 1.0,
                                             "source": "channel"}


@pytest.mark.parametrize("raw", ["安全生产", "其他", "不存在的分类", "", "   ", None])
def test_unknown_or_ambiguous_channel_category(categorizer, raw):
    assert categorizer.from_channel(raw) is None


def test_suggestion(categorizer):
    result = categorizer.suggest("公交车太挤,地铁也挤")
    assert result["level1"] == "交通运输" and result["source"] == "suggested"
    assert 0.5 < result["confidence"] <= 1.0
    assert categorizer.suggest("小区物业乱收费")["level1"] == "城乡建设"


def test_no_evidence_no_suggestion(categorizer):
    assert categorizer.suggest("今天天气晴") == {"path": None, "level1": None, "confidence": 0.0, "source": None}


def test_min_confidence_withholds_weak_suggestions():
    strict = Categorizer(TAXONOMY, {"交通运输": ["公交"], "城乡建设": ["小区"]}, min_confidence=0.9)
    assert strict.suggest("小区门口的公交站")["level1"] is None


@pytest.mark.parametrize("text, level1", [
    ("公司拖欠农民工工资三个月", "劳动和社会保障"),
    ("小区物业乱收停车费,业委会不作为", "城乡建设"),
    ("孩子上学的学位问题,学校不给入学", "教育文体"),
    ("医院挂号难,医生态度差", "卫生计生"),
    ("化工厂排放废气,臭味扰民", "环境保护"),
    ("公交车到站不停,司机拒载", "交通运输"),
    ("商家拒绝退款,虚假宣传", "商贸旅游"),
])
def test_shipped_keywords(normalizer, make_ticket, text, level1):
    category = normalizer.normalize(make_ticket(text))["category"]
    assert category["level1"] == level1 and category["source"] == "suggested"


def test_shipped_taxonomy_maps_a_channel_path(normalizer, make_ticket):
    category = normalizer.normalize(make_ticket("路灯坏了", category="城乡建设/安全生产/事故处理"))["category"]
    assert category == {"path": "城乡建设/安全生产/事故处理", "level1": "城乡建设", "confidence": 1.0,
                        "source": "channel"}


def test_topic_words_are_the_vocabularys_words_each_once_in_order(categorizer):
    # The keywords and the taxonomy's names (minus vague words such as 其他), never their bigrams.
    assert categorizer.topic_words("小区门口公交站旁的燃气供应管道漏气，小区物业说不归他们管") == [
        "小区", "公交", "燃气供应", "物业"]
    assert categorizer.topic_words("出租车司机绕路") == ["出租车"]
    assert categorizer.topic_words("没有一个词") == [] and categorizer.topic_words("") == []


def test_the_normalizer_lists_the_topic_words_of_title_and_text(normalizer, make_ticket):
    out = normalizer.normalize(make_ticket(title="电梯故障", text="5栋电梯停运三天，物业不修"))
    assert {"电梯", "物业"} <= set(out["topic_words"])
