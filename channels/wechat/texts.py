"""What the account says to citizens (Chinese). A city overrides any of these in its profile's [wechat.texts]."""
from __future__ import annotations

from typing import Mapping

from channels.chat.texts import SHARED

DEFAULTS = {
    **SHARED,
    "welcome": ("欢迎关注{city}12345市民服务热线！\n"
                "【反映问题】直接发送文字、语音、图片、视频或位置，说明时间、地点和具体情况，我们会生成受理编号。\n"
                "【查询进度】发送“查询”查看您最近的诉求，或发送“查询 编号”。\n"
                "【紧急情况】请立即拨打 110（治安）、119（火警）、120（急救），本公众号不能代替紧急救援。"),
    "accepted": "您的诉求已受理，编号 {reference}。可发送“查询 {reference}”了解办理进度。",
    "joined": "已将您补充的内容加入诉求（编号 {reference}）。",
    "report_prompt": "请直接发送您要反映的问题（文字、语音、图片、视频或位置均可），我们将为您生成新的受理编号。",
    "query_none": "您还没有通过本公众号提交过诉求。",
    "query_not_found": "没有找到您提交的编号为 {reference} 的诉求，请核对编号。",
    "location_saved": "已收到您的位置。",
    "phone_saved": "已记录您的联系电话 {phone}，工作人员需要时会回电联系您。",
    "unsupported": "抱歉，暂不支持这种消息类型。请发送文字、语音、图片、视频或位置来反映问题。",
    "rate_limited": "您发送消息过于频繁，本条消息未能受理。请稍候 {seconds} 秒后再发送；紧急情况请拨打 110、119、120。",
}


def text(profile_texts: Mapping[str, str], name: str, **values: str) -> str:
    """The text called `name` (the profile's version when it has one), with `values` filled in."""
    template = profile_texts.get(name) or DEFAULTS[name]
    return template.format(**values)
