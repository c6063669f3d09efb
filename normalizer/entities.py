"""Named places and objects of a report (小区, 路, 村, 学校, 公司, N路公交...), found by their suffix.

Word segmentation (jieba) is far too slow for the intake rate, so names are found backwards from a known suffix:
one Aho-Corasick pass finds every suffix, and the name is the run of characters before it, bounded by
punctuation, function characters (的, 在, 了...), the previous entity and a maximum length. Precision matters
more than recall here: dedupe uses these names to tell the same complaint about a different compound apart.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from typing import Iterable

import ahocorasick

from normalizer.suffixes import suffixes_by_kind

# Suffix → kind, from the table dedupe reads too (normalizer/suffixes.py). Longer suffixes win where they overlap
# (有限公司 over 公司, 大道 over 道...).
SUFFIX_KINDS = suffixes_by_kind()

# Canonical name for suffixes that are a longer spelling of the same place (XX村委会 is the village XX村).
_CANONICAL_SUFFIX = {"村委会": "村", "村民委员会": "村"}

# A name never runs across these: punctuation, function characters, pronouns, measure and modal characters.
_STOP = set(" \n\t,.!?;:()[]{}<>\"'、，。！？；：（）【】《》“”‘’…·~-—/\\|"
            "的在于了是和与及或等我你他她它们这那该此其被把将对向从给让因就也都还又很没未说称请要会能并而但却所"
            "每各某啊吗呢吧呀哪什么为到去回住离近旁往经沿"
            # frequent verbs and grammar characters that rarely occur inside a place name
            "个年月日过设想买问求收改治提倡决侵召减缓续必占用造修唯独侧拆建搬装交缴办找打看听"
            "且可否者由议本期解令知请被几走"
            # 至 "to" comes before a place, not in its name: 从A路至营盘路
            "至")
# Words that describe a place without naming it: 高档小区, 私立幼儿园, 十字路.
_DESCRIPTIVE = {"高档", "知名", "实际", "配套", "私立", "公立", "公办", "民办", "民营", "普惠", "普惠性", "城镇",
                "老旧", "周围", "直", "断头", "十字", "丁字", "城际", "快速", "主干", "次干", "附属", "市政",
                "政", "停止", "美好", "大型", "小型", "国有", "私营", "个体", "正规", "非法", "黑", "其他", "同一",
                "乡镇", "农村", "城市", "城区", "郊区", "农贸", "中小", "附近", "对面", "隔壁", "当地", "外地"}
# Multi-character words of the sentence: the name starts after the last one found before the suffix.
_STOP_WORDS = (
    "如果", "应当", "导致", "经过", "穿过", "提出", "一下", "旁边", "附近", "有关", "相关", "部门", "规定", "代表", "以上", "以下", "之间", "陆续",
    "上学", "两侧", "一边", "施工", "出行", "接送", "家长", "大力", "通过", "管理", "不少", "唯独", "政府", "单位", "领导", "市民", "居民", "业主",
    "村民", "群众", "百姓", "老人", "孩子", "学生", "附属", "隔壁", "对面", "后面", "前面", "里面", "外面", "一带", "片区", "范围", "区域", "位置",
    "地址", "地点", "目前", "现在", "去年", "今年", "明年", "当地", "本地", "周边", "整个", "所有", "没有", "还有", "只有", "已经", "一直", "开始",
    "造成", "要求", "希望", "建议", "投诉", "反映", "举报", "关于", "咨询", "询问", "请问", "增加", "参照", "考虑", "缩短", "分流", "尽管", "引起",
    "影响", "反观", "违反", "确保", "虽然", "形成", "根据", "报告", "计算", "无视", "包含", "阻止", "成立", "接受", "当成", "自己", "多次", "出来",
    "来自", "衔接", "随着", "以及", "并且", "或者", "还是", "同时", "但是", "而且", "因为", "所以", "其中", "另外", "此外", "例如", "比如", "就是",
    "都是", "也是", "严重", "认为", "发现", "知道", "告诉", "表示", "属于", "进行", "实施", "至今",
)
# A count before a measure word ends the sentence part: 四家开锁公司 → 开锁公司, 一名来自新城. The count ends at
# the measure character whatever numerals come before it, so "a measure character after a numeral (or a digit)"
# is the whole test.
_NUMERALS = set("一二三四五六七八九十两几多")
_MEASURES = set("家个名条座所间号期批次")
# Leading words that are part of the sentence, not of the name (位于 is covered by 于 above).
_LEADING = ("来到", "进入", "退出", "经过", "前往", "靠近", "紧邻", "毗邻", "包括", "附近", "整个", "周边", "门口",
            "投诉", "反映", "举报", "关于", "强烈", "要求", "希望", "建议", "位置", "地址", "地点", "目前", "现在",
            "今天", "昨天", "最近", "一直", "已经", "导致", "造成", "开始", "修建", "修好", "没有", "所有")
# Administrative prefixes: "A2区景蓉华苑" is the community 景蓉华苑, "武汉市XX公司" the company XX公司.
_ADMIN_CHARS = "省市县区州"
_JUNK_NAME = re.compile(r"^(?:[\d.]+|[一二三四五六七八九十百千两几这那每多整本此该各][条个座家所只间处栋片号]?"
                        r"|.*[条个座家所只间处])$")
# Whole matches that are common words, not names.
_GENERIC = {
    "马路", "道路", "公路", "铁路", "小路", "大路", "修路", "走路", "出路", "思路", "线路", "电路", "网路", "一路",
    "步行街", "商业街", "小吃街", "老街", "大街", "街道", "农村", "乡村", "新农村", "本村", "全村", "我村",
    "物业公司", "有限公司", "公司", "集团公司", "分公司", "子公司", "总公司", "房地产公司", "开发公司",
    "物业服务", "小区物业", "社区医院", "医院", "学校", "中小学", "小学", "中学", "大学", "高速公路", "城乡",
    "工程", "项目", "建设项目", "工地", "施工工地", "重点工程", "商店", "门店", "饭店", "酒店", "超市", "小区",
    "花园", "老小区", "新小区", "旧小区", "居民小区", "住宅小区", "商品房小区", "安置小区", "社区", "乡镇", "城镇",
    "村镇", "乡镇街道", "派出所", "政府", "人民政府", "街道办", "居委会", "村委会", "管委会", "分局", "宿舍",
    "职工宿舍", "学生宿舍", "员工宿舍", "广场", "公园", "大楼", "工厂", "厂", "小组", "村组", "银行", "驾校",
    "门诊部", "卫生室", "民族乡", "交叉路", "高架路", "小镇", "车道路", "服务中心", "诊所", "药店", "高中", "初中", "幼儿园", "民办幼儿园", "公办幼儿园", "私立医院",
    "公立医院", "民营医院", "附中", "项目工程", "市政工程", "建筑工地", "在建工地", "机动车道", "人行道",
}
_BUS_LINE = re.compile(r"(?<![\dA-Za-z])([A-Za-z]?\d{1,4}|[A-Za-z]\d{0,3}|旅游\d{1,2}|夜\d{1,3})路"
                       r"(?:公交车|公交|公共汽车|车|线|大巴)?")
_LINE_HINT = re.compile(r"[\dA-Za-z]路")
_METRO_LINE = re.compile(r"(?:地铁|轨道交通)?(\d{1,2})号线")
_MAX_NAME = 8
# One-character suffixes make weak evidence, so their names must be short (潇楚南路, 泉水村, 景蓉华苑).
_MAX_NAME_SHORT_SUFFIX = 4
_MIN_NAME = 2
# A one-character suffix followed by one of these is part of a word (村民, 路线, 镇政府 stays: 政 not listed).
_NOT_AFTER = {"村": set("民委集干务级规里头户庄"), "路": set("线费程径况由途人"), "街": set("坊头"),
              "镇": set("长"), "乡": set("亲村下"), "店": set("主员面铺"), "厂": set("家长区房商")}


class EntityFinder:
    """Finds the named entities of a text; built once, then a pure function."""

    def __init__(self, extra_suffixes: dict[str, Iterable[str]] | None = None,
                 generic: Iterable[str] = (), known: dict[str, Iterable[str]] | None = None):
        self._automaton = ahocorasick.Automaton()
        kinds = {kind: list(suffixes) for kind, suffixes in SUFFIX_KINDS.items()}
        for kind, suffixes in (extra_suffixes or {}).items():
            kinds.setdefault(kind if kind in SUFFIX_KINDS else "other", []).extend(suffixes)
        for kind, suffixes in kinds.items():
            for suffix in suffixes:
                self._automaton.add_word(suffix, (suffix, kind))
        self._automaton.make_automaton()
        self._generic = _GENERIC | set(generic)
        # Well-known names the suffix rule would cut (协和医院: 和 is a conjunction), listed by the city.
        self._known = ahocorasick.Automaton()
        for kind, names in (known or {}).items():
            for name in names:
                self._known.add_word(name, (name, kind if kind in SUFFIX_KINDS or kind == "bus_line" else "other"))
        self._has_known = len(self._known) > 0
        if self._has_known:
            self._known.make_automaton()
        # Everything a name cannot run across: characters, and longer words by length. Boundaries are frequent
        # (about one character in three), so looking back from a suffix stops after two characters on average;
        # an automaton pass over the window (or the whole text) cost more than the rest of the entity search.
        words = [*_STOP, *_ADMIN_CHARS, *_STOP_WORDS, *_LEADING]
        self._boundary_chars = frozenset(w for w in words if len(w) == 1)
        longer: dict[int, set[str]] = {}
        for word in words:
            if len(word) > 1:
                longer.setdefault(len(word), set()).add(word)
        self._boundary_words = sorted(longer.items())

    def find(self, text: str, known: Iterable[tuple[int, int, str, str]] = ()) -> list[dict[str, str]]:
        """[{"name", "kind"}] deduplicated, in text order; `known` are (start, end, name, kind) already found."""
        if not text:
            return []
        spans: list[tuple[int, int, str, str]] = list(known)   # (start, end, name, kind)
        if self._has_known:
            for end, (name, kind) in self._known.iter(text):
                start = end - len(name) + 1
                if not any(a < end + 1 and start < b for a, b, _, _ in spans):
                    spans.append((start, end + 1, name, kind))
        # The line patterns are costly to scan with; most texts have no line number at all.
        if "路" in text and _LINE_HINT.search(text):
            for match in _BUS_LINE.finditer(text):
                spans.append((match.start(), match.end(), match.group(1) + "路", "bus_line"))
        if "号线" in text:
            for match in _METRO_LINE.finditer(text):
                spans.append((match.start(), match.end(), "地铁" + match.group(1) + "号线", "other"))
        taken = [(s, e) for s, e, _, _ in spans]
        spans.extend(self._suffix_entities(text, taken))
        spans.sort()
        seen: set[str] = set()
        entities = []
        for _, _, name, kind in spans:
            if name not in seen:
                seen.add(name)
                entities.append({"name": name, "kind": kind})
        return entities

    def _suffix_entities(self, text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int, str, str]]:
        # Keep, for each end position, the longest suffix (the automaton reports hits in end order).
        best: list[tuple[int, str, str]] = []
        for end, (suffix, kind) in self._automaton.iter(text):
            end += 1
            if best and best[-1][0] == end:
                if len(suffix) > len(best[-1][1]):
                    best[-1] = (end, suffix, kind)
            else:
                best.append((end, suffix, kind))
        if not best:
            return []
        chars, words = self._boundary_chars, self._boundary_words
        found = []
        floor = 0   # a name never starts inside the previous entity
        taken_ends = sorted(b for _, b in taken)
        for s_end, suffix, kind in best:
            s_start = s_end - len(suffix)
            if s_start < floor or (taken and any(a < s_end and s_start < b for a, b in taken)):
                continue
            if suffix == "街" and text[s_end:s_end + 1] in ("道", "办"):
                continue   # "XX街道"/"XX街办" is a town, found by its own suffix
            if text[s_end:s_end + 1] in _NOT_AFTER.get(suffix, ()):
                continue
            limit = _MAX_NAME_SHORT_SUFFIX if len(suffix) == 1 else _MAX_NAME
            lower = max(floor, s_start - 2 * _MAX_NAME)
            if taken_ends:
                k = bisect_right(taken_ends, s_start)
                if k and taken_ends[k - 1] > lower:
                    lower = taken_ends[k - 1]
            # The name starts after the last boundary (stop character or word, admin marker, count) before it.
            lower = _after_last_boundary(text, lower, s_start, chars, words)
            if lower and text[lower - 1] in _VERBS and text[lower] in _COMPLEMENTS:
                lower += 1
            if s_start - lower < _MIN_NAME:
                continue
            name = _name_at(text[lower:s_start], limit)
            if name is None:
                continue
            full = name + _CANONICAL_SUFFIX.get(suffix, suffix)
            if full in self._generic or len(name) < _MIN_NAME or name in _DESCRIPTIVE:
                continue
            found.append((s_start - len(name), s_end, full, kind))
            floor = s_end
        return found


# Resultative and directional complements (建成, 修好, 搬进, 装上): after a verb that ended the run, such a
# character still belongs to the verb, not to the name (建成物业公司 is "built the 物业公司").
_VERBS = set("设想买问求收改治提倡决侵召减缓续占用造修拆建搬装交缴办找打看听走")
_COMPLEMENTS = set("成完好到住掉出进回起上下过")


def _after_last_boundary(text: str, lower: int, upper: int, chars: frozenset[str],
                         words: list[tuple[int, set[str]]]) -> int:
    """Where a name ending at `upper` can start: after the last boundary word lying wholly in text[lower:upper]
    or the last count ending in it, or at `lower` when there is neither."""
    for position in range(upper, lower, -1):
        char = text[position - 1]
        if char in chars:
            return position
        if char in _MEASURES and position >= 2 and (text[position - 2] in _NUMERALS
                                                     or text[position - 2].isdecimal()):
            return position
        for length, group in words:
            if position - length >= lower and text[position - length:position] in group:
                return position
    return lower


def _name_at(run: str, limit: int) -> str | None:
    """The name in `run` (the text between the last boundary and the suffix), or None if it is no name."""
    # Leading ASCII letters and digits are unit labels (A2, 3#), not part of a Chinese name.
    name = run.lstrip("0123456789#号栋楼ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    # A longer run means the start of the name is a guess: better no entity than a clause.
    if not _MIN_NAME <= len(name) <= limit or _JUNK_NAME.match(name):
        return None
    return name
