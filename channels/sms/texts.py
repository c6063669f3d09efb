"""What the SMS channel says to citizens (Chinese, short: a text segment holds 70 characters).

The names match the other chat channels' texts (`channels.chat.texts`), so the shared query and rating code
renders any of them; a city overrides any of them in its profile's [sms.texts].
"""
from __future__ import annotations

from typing import Mapping

from channels.chat.texts import SHARED, with_overrides

DEFAULTS = {
    **SHARED,
    "accepted": "【{city}12345】您的诉求已受理，编号 {reference}。回复“查询”或“CX”可查办理进度。",
    "joined": "【{city}12345】已将补充内容加入您的诉求（编号 {reference}）。",
    "report_prompt": "【{city}12345】请直接回复您要反映的问题，我们将为您生成新的受理编号。",
    "empty": "【{city}12345】请用文字说明时间、地点和具体情况，我们会为您登记并回复受理编号。",
    "query_none": "您还没有用本手机号码提交过诉求。",
    "query_not_found": "没有找到本手机号码提交的编号为 {reference} 的诉求，请核对编号。",
    "unsubscribed": "【{city}12345】您已退订诉求办理进度短信。回复“订阅”可恢复。",
    "resubscribed": "【{city}12345】已恢复诉求办理进度短信通知。",
    "rate_limited": "【{city}12345】您发送短信过于频繁，本条未能受理，请稍后再发。紧急情况请拨打110、119、120。",
    "verify_code": "【{city}12345】您的验证码是 {code}，{minutes} 分钟内有效。如非本人操作请忽略。",
}


def sms_texts(profile_texts: Mapping[str, str], city: str) -> dict[str, str]:
    """Every text with the city's overrides applied and `{city}` filled in (other fields are filled later)."""
    merged = with_overrides(DEFAULTS, profile_texts)
    return {name: template.replace("{city}", city) for name, template in merged.items()}
