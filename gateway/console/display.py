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
