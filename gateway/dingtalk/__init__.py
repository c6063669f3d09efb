"""DingTalk's robot as a citizens' channel: the worked example of docs/adding-a-channel.md.

Off unless DINGTALK_APP_SECRET is set. The pure part (signature, message, reply) is in `channels/dingtalk/`.
"""
from __future__ import annotations

from gateway.channel_spec import ChannelSpec
from gateway.dingtalk.simulate import simulate_dingtalk
from gateway.dingtalk.views import PATH, bp
from gateway.web.openapi_ops import op, param

PATHS = {PATH: {"post": op(
    "A DingTalk robot callback (JSON, `msgtype` text); `timestamp` and `sign` headers checked with the robot's "
    "AppSecret; the answer is the robot's reply `{msgtype: text, text: {content}}`; a repeat of one `msgId` gets "
    "the same reply and no second ticket",
    params=[param("timestamp", "header"), param("sign", "header")])}}

SPEC = ChannelSpec(name="dingtalk", blueprint=bp, is_on=lambda settings: bool(settings.env.get("DINGTALK_APP_SECRET")),
                   openapi_paths=PATHS, simulators={"dingtalk": simulate_dingtalk})
