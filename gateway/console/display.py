"""How the console shows statuses, channels and times: in Chinese and in the city's zone, from one table each.

The stored values stay the contract's English codes and UTC; only what an operator reads is translated here, so
every page (and the call form's script, through the JSON it is given) says the same thing.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

TICKET_STATUS_NAMES = {"received": "已受理", "normalized": "已处理", "in_case": "已并案", "delivered": "已交办"}
CASE_STATUS_NAMES = {"open": "办理中", "accepted": "已受理", "assigned": "已派单", "resolved": "已办结",
                     "closed": "已关闭", "merged": "已合并"}
EVENT_TYPE_NAMES = {"case.opened": "立案", "case.report_added": "并入诉求", "case.updated": "诉求补充",
                    "case.unmerged": "拆分", "case.merged": "合并", "case.rated": "评价", "case.hot": "热点",
                    "case.overdue": "超期"}
CHANNEL_NAMES = {"app": "App", "wechat": "微信", "sms": "短信", "hotline": "热线", "webhook": "合作平台"}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The rule of a dedupe or operator decision (`case_links.evidence.rule`).
RULE_NAMES = {"similar report": "与已有诉求相似", "new case": "新立案件", "exact repeat": "重复提交",
              "no exact repeat": "无相同诉求", "attached by operator": "话务员并入", "merged by supervisor": "主管合并",
              "unmerged by supervisor": "主管拆分"}
# The fitted model's features (dedupe.model.FEATURES), as the case page names their contributions.
FEATURE_NAMES = {
    "topic_cosine": "问题用词相似", "rare_unshared": "各自独有的罕见字", "text_containment": "文本包含",
    "title_cosine": "标题相似", "both_titles": "两件都有标题", "rare_shared": "共有的罕见字串",
    "rarest_shared": "共有最罕见的字串", "shared_place": "同一地点", "shared_area": "同一街镇、社区或线路",
    "road_only": "只有道路相同", "road_topics_apart": "只有道路相同且问题不同", "place_conflict": "地点不同",
    "admin_conflict": "区或街道不同",
    "shared_admin": "同一区或街道", "log_days": "相隔天数", "within_day": "一天之内", "within_week": "一周之内",
    "within_month": "一月之内", "short_text": "短文本", "conflict_x_text": "异地的相似文本",
    "place_x_topic": "同地同问题", "rare_x_topic": "罕见字串且问题相似", "char_cosine": "关键字相似",
    "rare_x_chars": "罕见字串且关键字相似", "swap_bigrams": "仅地名不同的同一文本", "near_repeat": "几乎重复",
    "swap_chars": "关键字各有不同"}


def ticket_status(code: str | None) -> str:
    """A report's status as operators call it (an unknown code is shown as it is)."""
    return TICKET_STATUS_NAMES.get(code or "", code or "")


def case_status(code: str | None) -> str:
    """A case's status as operators call it (an unknown code is shown as it is)."""
    return CASE_STATUS_NAMES.get(code or "", code or "")


def channel_name(code: str | None) -> str:
    """A channel's name in Chinese (an unknown channel is shown as it is)."""
    return CHANNEL_NAMES.get(code or "", code or "")


def event_type(code: str | None) -> str:
    """A case-system event's type in Chinese, with its code (what the case system's people search their logs for)."""
    name = EVENT_TYPE_NAMES.get(code or "")
    return f"{name}（{code}）" if name else code or ""


def local_time(value: datetime | str | None, zone: ZoneInfo, fmt: str = TIME_FORMAT) -> str:
    """A stored time (aware, naive UTC, or ISO 8601 text) as wall-clock time in the city's zone; "" for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)   # the store keeps UTC
    return value.astimezone(zone).strftime(fmt)


def rule_name(code: str | None) -> str:
    """A decision's rule in Chinese, with its code (what the evidence in the API says)."""
    name = RULE_NAMES.get(code or "")
    return f"{name}（{code}）" if name else code or ""


def weighed_terms(evidence: dict | None, limit: int = 6) -> list[tuple[str, str]]:
    """The fitted model's largest contributions to a decision's log-odds, largest first, as (name in Chinese, signed
    number): what pushed the report into the case or kept it out. [] for evidence without them (the rules engine,
    an operator's decision)."""
    contributions = evidence.get("contributions") if isinstance(evidence, dict) else None
    if not isinstance(contributions, dict):
        return []
    terms = [(k, v) for k, v in contributions.items() if isinstance(v, (int, float)) and v]
    terms.sort(key=lambda kv: -abs(kv[1]))
    return [(FEATURE_NAMES.get(k, k), f"{v:+.2f}") for k, v in terms[:limit]]
