"""What the robot says (Chinese); a city overrides any of them in its profile's [dingtalk.texts]."""
from __future__ import annotations

from channels.chat.texts import SHARED

DEFAULTS = {
    **SHARED,
    "accepted": "您的诉求已受理，编号 {reference}。可发送“查询 {reference}”了解办理进度。",
    "joined": "已将您补充的内容加入诉求（编号 {reference}）。",
    "report_prompt": "请直接发送您要反映的问题，我们将为您生成新的受理编号。",
    "query_none": "您还没有通过钉钉提交过诉求。",
    "query_not_found": "没有找到您提交的编号为 {reference} 的诉求，请核对编号。",
    "unsupported": "抱歉，暂只支持文字消息。请用文字说明时间、地点和具体情况。",
    "rate_limited": "您发送消息过于频繁，本条消息未能受理。请稍候 {seconds} 秒后再发送；紧急情况请拨打 110、119、120。",
}
