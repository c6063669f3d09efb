"""The fitted engine's keys: a duplicate naming its place in another form is still a candidate (made-up names)."""
from __future__ import annotations

from base64 import b64encode
from datetime import timedelta

import pytest

from dedupe import Candidate, FittedDeduper
from dedupe.fitted import _gram_key
from dedupe.fitted_fingerprint import gram_hash, pack_hashes, unpack_hashes
from dedupe.memory_index import MemoryIndex
from tests.dedupe.helpers import T0, ticket

# The estate's other complaints and other sites' dust: the estate's name and the dust words are then common in the
# index, as in live traffic, so neither is among a long report's rarest bigrams.
_ESTATE = ["路灯坏了半个月没人修", "垃圾桶满了没人清", "下水道堵了污水横流", "公交站台的顶棚被风刮坏", "菜场门口占道经营",
           "小学门口接送车辆乱停", "广场舞音响太大声", "井盖缺失很危险", "绿化带被人种了菜", "快递柜占了消防通道"]
_ELSEWHERE = ["松岭", "柏川", "桐溪", "榆港", "槐庄", "梓潭", "栎坪", "杉湾", "楠渡", "椿岗"]
SMS = ("", "青枫湾那个工地灰太大了，窗户都不敢开")
HOTLINE = ("", "来电人反映：青枫湾工地（望湖巷东侧商住楼项目）每天渣土外运，车辆不冲洗不覆盖，扬尘弥漫，周边住户窗台积灰、"
               "晾晒衣物被污染，老人小孩出现咳嗽症状，要求住建和城管部门督促工地落实围挡喷淋、车辆冲洗等防尘措施。")


def _deduper_after_the_estate(**fitted) -> FittedDeduper:
    deduper = FittedDeduper({"dedupe": {"fitted": {"df_batch": 1, **fitted}}})
    texts = [f"青枫湾{p}，希望尽快处理。" for p in _ESTATE * 2]
    texts += [f"{p}工地扬尘太大了，渣土车也不盖，路上全是泥" for p in _ELSEWHERE]
    for number, text in enumerate(texts):
        _, grams = deduper.analyse(ticket("", text, ext=f"d{number}"))
        deduper.observe(grams)
        deduper.df.refresh()
    return deduper


def _shared(deduper: FittedDeduper, first: tuple[str, str], second: tuple[str, str]) -> set[str]:
    filed, _ = deduper.analyse(ticket(*first, ext="a"))
    later, _ = deduper.analyse(ticket(*second, ext="b", at=T0 + timedelta(hours=2)))
    index = MemoryIndex()
    index.add(1, 1, T0, deduper.blocking_keys(filed), filed)
    found = [c.report_id for c in index.candidates(deduper.query_keys(later))]
    shared = set(deduper.blocking_keys(filed)) & set(deduper.query_keys(later))
    assert found == ([1] if shared else [])
    return shared


def test_a_hotline_summary_finds_the_sms_that_named_the_site_in_passing():
    # The SMS names no place the parser reads (那个工地), the summary names the site first: the estate's name is too
    # common to be among the summary's rarest bigrams, but the summary searches by its first names' bigrams too.
    shared = _shared(_deduper_after_the_estate(), SMS, HOTLINE)
    assert shared == {_gram_key(gram_hash("青枫")), _gram_key(gram_hash("枫湾"))}


def test_the_site_found_when_the_summary_names_it_after_two_roads():
    # An operator's summary often gives the crossing first (two roads), then the site: the site is its third name,
    # and the summary searches by the bigrams of every name it keeps, not only its first two. Over the labelled
    # sets: candidate recall 0.976 -> 0.981 (the board without titles 135 -> 141 of 142).
    summary = ("", "来电人反映：望湖巷与松涛路交叉口东侧青枫湾工地每天渣土外运，车辆不冲洗不覆盖，扬尘弥漫，周边住户窗台积灰、"
                   "晾晒衣物被污染，要求住建和城管部门督促工地落实围挡喷淋、车辆冲洗等防尘措施。")
    deduper = _deduper_after_the_estate()
    names = [e[0] + e[1] for e in deduper.fingerprint(ticket(*summary))["e"]]
    assert names[:2] == ["望湖巷", "松涛路"] and names[2].endswith("青枫湾工地")
    assert _shared(deduper, SMS, summary) >= {_gram_key(gram_hash("青枫")), _gram_key(gram_hash("枫湾"))}


@pytest.mark.parametrize("heads", [1, 0])
def test_a_citizen_naming_the_site_by_its_street_finds_the_summary_filed_under_the_site_name_s_head(heads):
    # The summary came first and names the site (青枫湾工地); a citizen later names it by the street it is on (青枫路),
    # a name with another tail. The estate's name is too common to be among the summary's rarest bigrams, so it is
    # found only because it is filed under the head of its first name (file_name_heads): over the labelled sets,
    # candidate recall 0.981 -> 0.990 (1,048 -> 1,057 of 1,068).
    deduper = _deduper_after_the_estate(file_name_heads=heads)
    shared = _shared(deduper, HOTLINE, ("", "青枫路那边的工地尘土到处飞，家里不敢开窗"))
    assert shared == ({_gram_key(gram_hash("青枫"))} if heads else set())


def test_a_shop_in_lower_case_is_found_by_its_name_in_capitals():
    # The bigrams keep their letters' case (the features read them so); the later report also searches by the
    # other case of its Latin bigrams.
    first = ("", "楼下那个ktv天天唱到两点，吵得睡不着")
    second = ("", "来电人反映：青枫湾商业街二楼欢乐颂KTV每晚营业至凌晨，包厢音响声音很大，要求相关部门查处。")
    deduper = FittedDeduper({})
    later = deduper.fingerprint(ticket(*second, ext="b"))
    assert gram_hash("kt") in unpack_hashes(later["x"]) and gram_hash("kt") not in unpack_hashes(later["g"])
    assert _gram_key(gram_hash("kt")) in _shared(deduper, first, second)
    assert "x" not in deduper.fingerprint(ticket(*SMS))  # no Latin letters, no field


def _as_v5(fp: dict) -> dict:
    """The same report as fingerprint v5 filed it: every bigram key in `k` (title, lead, then the rarest), no `kg`."""
    hashes = list(dict.fromkeys(unpack_hashes(fp["k"]) + unpack_hashes(fp["g"])[:fp["kg"]]))
    packed = b64encode(pack_hashes(hashes)).decode("ascii")
    return {k: v for k, v in fp.items() if k not in ("kg", "x")} | {"v": 5, "k": packed}


@pytest.mark.parametrize("title", ["青枫湾工地扬尘", ""])
def test_a_report_filed_as_v5_keeps_its_keys_and_still_compares(title):
    deduper = FittedDeduper({})
    fp = deduper.fingerprint(ticket(title, HOTLINE[1], ext="a"))
    old = _as_v5(fp)
    # v6 stores the rarest bigrams' keys once (in `g`), not twice: the same keys in fewer bytes.
    assert set(FittedDeduper({}).blocking_keys(old)) == set(deduper.blocking_keys(fp))
    assert len(old["k"]) > len(fp["k"]) + 60
    later = deduper.fingerprint(ticket(title, HOTLINE[1], ext="b"))
    assert deduper.decide(later, T0, [Candidate(7, 1, T0, old)]).case_id == 7
