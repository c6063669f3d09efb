"""Made-up reports for the dedupe tests, and one helper that runs them through the live normalizer."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dedupe import Candidate, Deduper
from normalizer.normalize import Normalizer
from normalizer.ticket import new_ticket

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))

NOISE_A = ("投诉洪山区桂苑小区南门烧烤摊夜间噪音扰民", "桂苑小区南门外的烧烤摊每天营业到凌晨两点，油烟和噪音很大，"
           "楼上住户无法入睡，多次打电话反映都没有人来管，请城管部门尽快处理。")
NOISE_B = ("洪山区桂苑小区南门烧烤摊噪音扰民", "洪山区桂苑小区南门口的烧烤摊天天开到凌晨，吵得孩子睡不着觉，"
           "油烟直往楼上飘，希望有关部门管一管。")
TEMPLATE_1 = ("反映江夏区金鹭花园电梯长期故障", "金鹭花园3栋电梯自去年十月起经常停运，物业收了维修基金却一直不修，"
              "老人上下楼非常困难，请住建部门督促物业尽快维修电梯。")
TEMPLATE_2 = ("反映江夏区银杉花园电梯长期故障", "银杉花园3栋电梯自去年十月起经常停运，物业收了维修基金却一直不修，"
              "老人上下楼非常困难，请住建部门督促物业尽快维修电梯。")
OTHER_PROBLEM = ("桂苑小区停车位被外来车辆占用", "洪山区桂苑小区地下车库的固定车位经常被外来车辆占用，物业不作为，"
                 "业主交了车位费却停不了车，请求相关部门协调解决停车管理问题。")
POLICY_1 = ("咨询公积金贷款额度", "我在本市缴存公积金五年，想买第一套房，请问公积金贷款最高能贷多少？需要什么材料？")
POLICY_2 = ("咨询公积金提取问题", "我去年离职了，公积金账户还有两万元，请问离职后怎么提取公积金，要多久到账？")
ROAD_1 = ("光谷大道路面塌陷", "光谷大道与高新二路交叉口附近路面出现大坑，已有电动车摔倒，请尽快修复。")
ROAD_2 = ("光谷大道高新二路口路面塌陷", "光谷大道高新二路路口有个塌陷的大坑，晚上看不清很危险，希望市政赶紧修补。")

# Live reports have no title. One template of a burst main at two door numbers of one avenue (the open-loop
# bench's floods), and the first one's own stretch of road in other words.
DOOR_1 = ("", "江岸区解放大道354号自来水管破裂喷水，整条路都是水，家里没水用")
DOOR_2 = ("", "江岸区解放大道1731号自来水管破裂喷水，整条路都是水，家里没水用")
DOOR_NEAR = ("", "江岸区解放大道356号附近自来水管破裂，整条路都是水，家里停水了")


def ticket(title: str, text: str, *, at: datetime = T0, citizen: str | None = None, ext: str = "r1",
           normalizer: Normalizer | None = None):
    """A normalized ticket from made-up text, as the gateway would hand it to the deduper (by default a normalizer
    with no city profile: no gazetteer, no topic words)."""
    tk = new_ticket(channel="app", external_id=ext, text=text, received_at=at, title=title, citizen=citizen)
    tk.normalized = (normalizer or Normalizer({})).normalize(tk)
    return tk


def judge(first: tuple[str, str], second: tuple[str, str], deduper: Deduper | None = None, **later):
    """Decision for `second` when `first` is the only indexed report (case 7, report 1)."""
    deduper = deduper or Deduper({})
    fp1 = deduper.fingerprint(ticket(*first, ext="a"))
    at = T0 + later.pop("after", timedelta(days=1))
    fp2 = deduper.fingerprint(ticket(*second, at=at, ext="b", **later))
    return deduper.decide(fp2, at, [Candidate(7, 1, T0, fp1)])
