"""Specific places and entities named in a report, found by generic suffix patterns (no gazetteer).

A name is the run of characters in front of a kind suffix (小区, 路, 村, 公司, 医院, KTV…), cut at the last
function word, punctuation or administrative unit, with leading complaint verbs removed. Names made only of
generic words (我们小区, 该公司, 城区) are dropped: only a specific name can make two reports one case.
"""
from __future__ import annotations

import re
from typing import Iterator

from normalizer.suffixes import SUFFIXES as SUFFIX_TABLE

# Suffix → (kind, subkind), the table the normalizer reads too (normalizer/suffixes.py). The subkind is finer than
# the contract's kinds: 清水村 and 团头村 name different villages, while 长龙村 and 托塘组 do not conflict.
SUFFIXES: dict[str, tuple[str, str]] = SUFFIX_TABLE

ADMIN_SUFFIXES = {"省": "province", "市": "city", "县": "county", "区": "district"}

# Characters that never sit inside a place name here: function words, pronouns, common verbs' particles.
_BOUNDARY = set("的了在是和与及对把被从向给于由就都也我你他她它们这那该其位请问说要将让很有没不已经还又再并或等称叫住买卖"
                "至即且但而则因所以如若使用对于关为到之")
# Leading words that are not part of a name: complaint verbs and framing.
_LEADING = sorted("""投诉 反映 举报 咨询 关于 请求 希望 建议 要求 强烈 反对 坚决 解决 位于 地处 坐落 地址 整治 治理 拆除 撤销
撤掉 开通 增加 修建 建设 设置 安装 加快 尽快 早日 质疑 呼吁 恳请 重视 给予 支持 取消 处理 查处 严查 加强 完善 改造 硬化
承接 购买 入住 居住 家住 位置 附近 周边 对面 旁边 门口 背后 楼下 沿线 片区 一带 辖区 紧邻 毗邻 位於 来到 就读 搬迁 再次 多次
第二次 一次 关注 督促 监督 协调 责令 敦促 催促
严重 非法 违法 违规 私自 擅自 强制 恶意 拖欠 侵占 占用 污染 噪音 扰民 维修 修复 清理 疏通 引起 影响 导致 造成 包括 属于 进入 靠近 发现 听说 听闻 得知""".split(),
                  key=len, reverse=True)
_LEADING_RE = re.compile("|".join(map(re.escape, _LEADING)))
_LEADING_SET = frozenset(_LEADING)
# Cores that name no specific place (我们小区, 该公司, 城区, 农村公路).
GENERIC_CORES = set("""我们 我家 本 该 此 这个 那个 各 各个 整个 所在 周边 附近 新 老 旧 原 城区 农村 城市 城乡 乡村 全市 全县 全区
本市 我市 该市 本县 我县 本区 我区 一个 几个 多个 其他 其它 相关 有关 某 某某 个别 部分 所有 大型 小型 公共 公立 私立 民营
民办 公办 普惠 普惠性 有限 自来水 水泥 夜宵 烧烤 小吃 宵夜 水果 早餐 大排档 高层 沿街 临街 街边 路边 马路 道路 公路 村道 小路 主干 主干道 县城 市区 老城 新区 安置 商品 住宅 保障
开发 房地产 物业 工程 建设 施工 项目 中心 社区 商业 服务 培训 教育 文化 医疗 卫生 人民 中国 国家 省级 市级 县级 区级 乡镇 镇村
村组 村级 组级 一条 这条 那条 每条 整条 两条 该条 下午 上午 晚上 早上 现在 目前 今年 去年 当地 本地 外地 异地 附属 直属 下属
上级 领导 政府 部门 单位 群众 居民 业主 村民 百姓 市民 学生 家长 孩子 老人 网络 电视 公交 地铁 出租 快递 外卖 停车 收费
供水 供电 排水 自来 消防 安全 交通 环境 绿化 垃圾 污水 幼儿 小学 中学 高中 初中 大学 职业 技术 两个 三个 四个 五个""".split())
# Verbs that take the suffix's thing as their object (督促物业: urge the management company): no name of their own,
# and a name never runs across one, so what stands before it is another phrase (卫健和水务部门督促物业 names no
# 水务物业).
_OBJECT_VERBS = frozenset("督促 监督 协调 责令 敦促 催促 联系 通知 告知 找过 找到".split())
GENERIC_CORES |= _OBJECT_VERBS



def _name_char_class() -> str:
    """A regex class of the characters a name may hold: CJK, letters and digits, less the boundary words."""
    ranges, low = [], 0x4E00
    for code in sorted(ord(c) for c in _BOUNDARY if 0x4E00 <= ord(c) <= 0x9FFF):
        if code > low:
            ranges.append(f"\\u{low:04x}-\\u{code - 1:04x}")
        low = code + 1
    ranges.append(f"\\u{low:04x}-\\u9fff")
    return "[" + "".join(ranges) + "A-Za-z0-9]"


# The run of name characters that ends a string (searched in the 10 characters before a suffix).
_NAME_TAIL = re.compile(_name_char_class() + "*\\Z")
_QUOTES = re.compile(r"[“”\"'‘’「」『』《》〈〉【】()（）\s]")
_SUFFIX_RE = re.compile("|".join(sorted(map(re.escape, SUFFIXES), key=len, reverse=True)))
# A building number (9栋, 12号楼, 12#楼, 3幢) names the compound in front of it, whatever that compound is called:
# developments are mostly named without 小区 or 花园 (…府, …里, …澜庭, …壹号), and a citizen writes
# "栖霞府9栋" where the operator wrote "栖霞府小区9栋". Arabic digits only: 一栋楼, 整栋楼 are counts, not numbers.
_BUILDING_RE = re.compile(r"(?<![0-9０-９])[0-9０-９]{1,3}(?:栋|幢|号楼|[#＃][楼栋])")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# A compound's core never ends so (整栋5号楼, 27号院3号楼, 北区2栋): a count, a yard number or a part of the compound.
_NOT_COMPOUND_END = set("栋幢楼层院单元期区座排户间套")
# A door or hotline number in front of the compound's name is not part of it (桃溪路188号栖霞府7栋, 12345栖霞府7栋).
_LEADING_NUMBER = re.compile(r"\A[0-9０-９]+号?")
_ADMIN_RE = re.compile(r"[省市县区]")
_ADMIN_CHAR = re.compile(r"[街省市县区镇乡]")
_BUS_RE = re.compile(r"(?<![0-9A-Za-z])(\d{1,3})(?:路|号线)?(?:公交|路车|专线|号线|路)")
_NOT_ADMIN_BEFORE = set("小社园城景辖片学校厂矿灾库营发护范")
# A core ending so is a phrase (进入小区, 一期旁边工地, 负责组), not a name.
_NOT_NAME_END = set("入出往收成止过该个各整进回在到去内外全原些边旁前后面上下本此每条")
_DETERMINERS = set("各该此每这")
# 德天湖路路面塌陷: a 路 followed by one of these is 路面/路灯/路段 (part of the road), not a second name's suffix.
# After a road's suffix, a second 路 that begins one of these words is that word, not a suffix: 德天湖路路面 names
# 德天湖路, and 青禾路路口 names 青禾路 (read as 青禾路路 before, a name no other report of the crossing gave).
_ROAD_PART = set("面灯段边况基沿口")
# ... and a lone 路 before these is the first character of 路面 or 路灯: a road named right before 面 or 灯 with no
# 路 of its own is rare, the words are not (沥青路面, 两盏路灯), and read as roads they were names two reports
# "shared" (破损路, 两盏路). 路段, 路边, 路口 stay a road's: 槐安路段, 柏溪路边, 青禾路口.
_ROAD_WORD_END = set("面灯")
_NOT_GROUP_END = set("责作检家导查调编小分合改班题备委专工领协")
_NOT_ROAD_END = set("线道公马铁网出门走水电回进退套来去半岔字活生销财心短长远近弯")
# Suffixes that make a specific thing even after a bare admin name: Q3县二中, Q市火车站, L5县人民医院.
_ADMIN_OWNED = {"一中", "二中", "三中", "四中", "五中", "一小", "二小", "三小", "四小", "火车站", "汽车站", "车站"}
_NOT_CITY_CORE = {"城市", "超市", "菜市", "夜市", "股市", "集市", "门市", "都市", "上市", "早市", "楼市", "车市", "黑市"}


def _core_before(text: str, end: int, cut_admin: bool, floor: int = 0) -> str:
    """The name in front of position `end`: back to a boundary, after the last admin unit, verbs stripped."""
    window = text[max(floor, end - 10):end]
    core = window[_NAME_TAIL.search(window).start():]
    if cut_admin and _ADMIN_CHAR.search(core):
        # 东省Q市Q3区翠湖社区: the name is 翠湖, the admin units before it are kept separately.
        for unit in ("街道", "省", "市", "县", "区", "镇", "乡"):
            pos = core.rfind(unit)
            if pos >= 0 and pos + len(unit) < len(core):
                core = core[pos + len(unit):]
    # 希望拆除翠湖社区: the name starts after the last complaint verb (if two characters remain).
    best = 0
    for match in _LEADING_RE.finditer(core):
        if len(core) - match.end() >= 2:
            best = max(best, match.end())
    return core[best:]


def match_core(core: str) -> str:
    """The part of a name core that identifies it: trailing generic words (安置, 公办) dropped; nothing when the
    suffix is the object of a verb."""
    changed = True
    while changed and len(core) > 2:
        changed = False
        for cut in (2, 3):
            if len(core) > cut and core[-cut:] in GENERIC_CORES:
                if core[-cut:] in _OBJECT_VERBS:
                    return ""
                core, changed = core[:-cut], True
                break
    return core


def _specific(core: str) -> bool:
    """True for a core that names something in particular (two characters at least, not generic)."""
    if core in GENERIC_CORES or core[-2:] in GENERIC_CORES or core[-1:] in _NOT_NAME_END:
        return False
    if core in _LEADING_SET:
        return False  # 修复路面, 督促物业: a verb in front of the suffix, not a name
    if len(core) <= 2 and core[:1] in _DETERMINERS:
        return False  # 各乡镇, 该村组: "each" or "this" one, not a named one
    if len(core) >= 2:
        return True
    return len(core) == 1 and core.isascii() and core.isalnum()


def clean_for_places(text: str) -> str:
    """Quotes and blanks removed so that 「银杏城」小区 and Q10 县 read as one run."""
    return _QUOTES.sub("", text or "")


def find_places(text: str) -> list[tuple[str, str, str]]:
    """(name, kind, subkind) of each specific place or entity in `text`, in order of appearance, unique."""
    return list(iter_places(text))


def iter_places(text: str) -> Iterator[tuple[str, str, str]]:
    """`find_places` lazily: bus lines first, then suffixed names in order (a caller may stop early)."""
    text = clean_for_places(text)
    seen = set()
    for match in _BUS_RE.finditer(text):
        key = (match.group(1), "bus_line", "bus_line")
        if key not in seen:
            seen.add(key)
            yield key
    floor = 0
    # Suffixes and building numbers, in order of appearance (building numbers are rare: sorted only when present).
    buildings = {m.start(): m for m in _BUILDING_RE.finditer(text)}
    matches = _SUFFIX_RE.finditer(text)
    if buildings:
        matches = iter(sorted([*matches, *buildings.values()], key=lambda m: m.start()))
    match = next(matches, None)
    while match is not None:
        following = next(matches, None)
        if match.re is _BUILDING_RE:
            # The compound before a building number: its core, with no suffix (栖霞府9栋 → 栖霞府). Right after a
            # suffixed name (栖霞府小区9栋) the core is empty: that name is already taken.
            core = match_core(_LEADING_NUMBER.sub("", _core_before(text, match.start(), cut_admin=True, floor=floor)))
            floor = match.end()
            match = following
            if (len(core) >= 2 and not any(c.isdigit() for c in core) and core[-1] not in _NOT_COMPOUND_END
                    and _specific(core)):
                key = (core, "community", "community")
                if key not in seen:
                    seen.add(key)
                    yield key
            continue
        if following is not None and following.start() == match.end() and following.start() not in buildings and not (
                following.group(0) == "路" and SUFFIXES[match.group(0)][1] == "road"
                and text[following.end():following.end() + 1] in _ROAD_PART):
            match = following
            continue  # 桂苑小区, 翠湖华苑物业: the last suffix names the thing, the first is part of its name
        suffix = match.group(0)
        kind, sub = SUFFIXES[suffix]
        # A name starts after the previous one ends: 文化中路锦绣华庭 is 文化中路 and 锦绣华庭.
        core = _core_before(text, match.start(), cut_admin=True, floor=floor)
        floor = match.end()
        match = following
        if sub == "road" and (core[-1:].isdigit() and suffix == "路" or core[-1:] in _NOT_ROAD_END):
            continue  # 315路 is a bus line (handled above); 线路, 马路, 十字路 are not names
        if suffix == "路" and text[floor:floor + 1] in _ROAD_WORD_END:
            continue  # 沥青路面, 破损路面, 两盏路灯: the words 路面 and 路灯, not a road (德天湖路路面 is read above)
        if sub == "group" and core[-1:] in _NOT_GROUP_END:
            continue
        core = match_core(core)
        if not _specific(core) or (core[-1] in "省市县区" and suffix not in _ADMIN_OWNED):
            continue  # Q3县物流公司 names no company; Q3县二中 and Q市火车站 do name one
        key = (core + suffix, kind, sub)
        if key not in seen:
            seen.add(key)
            yield key


# A crossing: two roads side by side (or joined by 与, 和, 、 …) and then 口, 路口, 交叉口, 交汇处 …
_CROSSING_JOIN = set("与和跟同及、/")
_CROSSING_END = re.compile(r"(?:路口|交叉路口|交叉口|交汇处|交汇口|交界处|十字路口|丁字路口|十字|口)")
# The other end of a stretch: 槐安路青禾路口至柏溪路口 names the crossing with 柏溪路 too.
_STRETCH_TO = re.compile(r"(?:至|到|—|-|~|～)")


def crossings(text: str, limit: int = 4) -> list[tuple[str, str]]:
    """The crossings a text names, each as its two roads' names in a fixed order (槐安路与青禾路交叉口, 青禾路槐安路口
    → (青禾路, 槐安路)), unique, in order, at most `limit`. A stretch from one crossing to the next
    (槐安路青禾路口至柏溪路口) names both. One road before 口 alone (柏溪路口) names no crossing: which other road
    is not said."""
    text = clean_for_places(text)
    if not _CROSSING_END.search(text):
        return []  # most reports: no word a crossing ends with, so no second pass over their names
    roads = [name for name, _kind, sub in iter_places(text) if sub == "road"]
    spans: list[tuple[int, int, str]] = []
    for name in roads:
        at = text.find(name)
        while at >= 0:
            spans.append((at, at + len(name), name))
            at = text.find(name, at + len(name))
    spans.sort()
    found: list[tuple[str, str]] = []

    def add(a: str, b: str) -> None:
        pair = (a, b) if a >= b else (b, a)
        if a != b and pair not in found and len(found) < limit:
            found.append(pair)

    for (sa, ea, a), (sb, eb, b) in zip(spans, spans[1:]):
        gap = text[ea:sb]
        ends = _CROSSING_END.match(text, eb)
        if sb < ea or len(gap) > 1 or gap and gap not in _CROSSING_JOIN or not ends:
            continue
        add(a, b)
        # 至柏溪路口: the stretch's other end is the first road's crossing with the next one.
        to = _STRETCH_TO.match(text, ends.end())
        if to:
            for sc, ec, c in spans:
                if sc == to.end() and _CROSSING_END.match(text, ec):
                    add(a, c)
    return found


def building_numbers(text: str, limit: int = 4) -> list[int]:
    """The building numbers a text gives (9栋, 12号楼, 12#楼 → 9, 12), unique, in order, at most `limit`."""
    found: list[int] = []
    for match in _BUILDING_RE.finditer(clean_for_places(text)):
        number = int(re.match(r"\d+", match.group(0).translate(_FULL_WIDTH_DIGITS)).group(0))
        if number not in found:
            found.append(number)
            if len(found) >= limit:
                break
    return found


def find_admin_units(text: str) -> list[tuple[str, str]]:
    """(name, level) of each province/city/county/district named in `text` (A7县, 武昌区), unique, in order."""
    text = clean_for_places(text)
    found: list[tuple[str, str]] = []
    for match in _ADMIN_RE.finditer(text):
        pos, unit = match.start(), match.group(0)
        if pos == 0 or text[pos - 1] in _NOT_ADMIN_BEFORE and unit == "区":
            continue
        if unit == "市" and text[pos + 1:pos + 2] == "场":
            continue  # 农贸市场, 菜市场: a market, not a city
        core = _core_before(text, pos, cut_admin=False)
        # An admin name does not contain another admin unit: Q3县市 is Q3县, then a stray 市.
        for other in "省市县区":
            if other in core:
                core = core[core.rfind(other) + 1:]
        if core[-1:].isascii() and core[-1:].isalnum():
            # Letter-and-digit codes (Q3县) stand alone: what precedes them is text, not name.
            head = len(core)
            while head > 0 and core[head - 1].isascii() and core[head - 1].isalnum():
                head -= 1
            core = core[head:]
        elif len(core) > 3:
            core = core[-2:]
        if not core or core in GENERIC_CORES or (core + unit) in _NOT_CITY_CORE:
            continue
        if core.isascii() and not core[:1].isalpha() or not core.isascii() and len(core) < 2:
            continue  # 915区 is a bus line, not a district
        item = (core + unit, ADMIN_SUFFIXES[unit])
        if item not in found:
            found.append(item)
    return found
