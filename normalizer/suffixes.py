"""The one table of place and entity suffixes, read by the normalizer's entities and by dedupe's names.

suffix → (kind, subkind). `kind` is the contract's entity kind the normalizer reports (`normalized["entities"]`);
(菜市场 is 菜 + 市场: a name may end in 原, 柳家湾原菜市场, and the longer suffix would cut it there.)
`subkind` is finer, for dedupe: 村 and 组 are both villages, but two different 村 are two places while a 村 and a
组 in it are not in conflict; a 社区 office is an area, not a compound.
"""
from __future__ import annotations

_TABLE = [
    ("community", "community", "小区 花园 家园 公寓 新村 新城 名城 名苑 华苑 雅苑 华庭 华府 山庄 公馆 佳园 嘉园 苑 庄园 名都 雅居 "
                               "宿舍"),
    ("building", "community", "大厦 大楼 写字楼"),
    ("community", "community_office", "社区 居委会"),
    ("road", "road", "路 大道 大街 街 巷 胡同 国道 省道 高速 公路 大桥 桥 隧道 立交"),
    ("village", "village", "村 村委会 村民委员会"),
    ("village", "group", "组"),
    ("town", "town", "镇 乡 街道 街办"),
    ("school", "school", "小学 中学 学校 幼儿园 学院 大学 职校 一中 二中 三中 四中 五中 一小 二小 三小 四小 附中 高中 初中 "
                         "职业技术学院"),
    ("hospital", "hospital", "医院 卫生院 诊所 保健院 妇幼保健院 卫生室 卫生服务中心 门诊部"),
    ("company", "company", "公司 有限公司 有限责任公司 集团 物业 银行 驾校 矿业 物流 水厂 燃气 地产 房地产 工厂 厂"),
    ("shop", "shop", "KTV ktv 超市 酒店 宾馆 餐馆 饭店 网吧 市场 百货 茶座 歌厅 酒吧 门面 店 商店 餐厅 酒楼 "
                     "药店 药房 便利店 专卖店 茶楼 浴池 健身房"),
    ("building", "shop", "商场 购物中心"),
    ("project", "project", "项目 工地 工程 垃圾站 变电站 加油站 搅拌站 石场 沙场 砂场"),
    ("building", "project", "广场 公园 中心 车站 汽车站 火车站 地铁站 体育馆 图书馆"),
    ("other", "office", "派出所 管委会 分局 人民政府"),
]

SUFFIXES: dict[str, tuple[str, str]] = {}
for _kind, _sub, _words in _TABLE:
    for _w in _words.split():
        SUFFIXES[_w] = (_kind, _sub)


def suffixes_by_kind() -> dict[str, list[str]]:
    """kind → its suffixes (the normalizer's view of the table)."""
    out: dict[str, list[str]] = {}
    for suffix, (kind, _sub) in SUFFIXES.items():
        out.setdefault(kind, []).append(suffix)
    return out
