"""What every chat channel says alike (Chinese): the 查询 answer's lines, the rating exchange, case statuses.

A channel's own texts start from `SHARED`; a city overrides any of them in the channel's profile section.
"""
from __future__ import annotations

from typing import Mapping

SHARED = {
    "query_header": "您最近的诉求：",
    "query_line": "{reference}（{received}）：{status}",
    "rate_prompt": "您的诉求（编号 {reference}）已办结。请回复数字评价：1 满意，2 基本满意，3 不满意。",
    "rate_none": "您暂时没有待评价的诉求。",
    "rated": "感谢您的评价（{label}），我们会继续改进工作。",
}

# A case's status as a citizen reads it in the 查询 answer.
STATUS_TEXT = {
    "received": "已受理，正在分拣",
    "normalized": "已受理，正在分拣",
    "open": "已立案，等待派单",
    "accepted": "承办单位已受理",
    "assigned": "已派单，正在办理",
    "resolved": "已办理完毕，等待结案",
    "closed": "已办结",
    "merged": "已与同一问题的其他诉求合并办理",
}


def with_overrides(defaults: Mapping[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    """Every text: the channel's defaults with the profile's non-empty overrides on top."""
    return {**defaults, **{name: value for name, value in overrides.items() if value}}
