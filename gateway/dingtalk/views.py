"""`POST /channels/dingtalk`: a DingTalk robot's callback; the reply goes back in the response."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from channels.dingtalk import robot
from channels.errors import ChannelError
from gateway.dingtalk.intake import channel_texts, handle_message
from gateway.intake import IdempotencyConflict

bp = Blueprint("dingtalk", __name__)
PATH = "/channels/dingtalk"


@bp.post(PATH)
def callback():
    """Check DingTalk's signature, store the message (once per msgId) and answer with the robot's reply."""
    runtime = current_app.extensions["gateway"]
    secret = runtime.settings.env.get("DINGTALK_APP_SECRET")
    if not secret:
        raise ChannelError(404, "channel_off", "钉钉渠道未开启：未配置 DINGTALK_APP_SECRET")
    robot.verify(request.headers, secret, runtime.clock().timestamp())
    raw = request.get_data(cache=False)
    limits = runtime.settings.section("intake")
    message = robot.parse_message(raw, max_text_chars=limits.get("max_text_chars", 20000))
    verdict = runtime.limits.check(senders=[message.citizen])
    if not verdict.allowed:
        # One sender flooding: a polite word back and nothing stored (the gateway's per-sender limit).
        current_app.extensions["gateway_metrics"].submission("dingtalk", "limited")
        return jsonify(robot.reply(channel_texts(runtime)["rate_limited"].format(seconds=verdict.retry_after)))
    try:
        stored = handle_message(runtime, message, raw)
    except IdempotencyConflict:
        raise ChannelError(409, "idempotency_conflict", "该消息编号（msgId）已用于内容不同的另一条消息") from None
    current_app.extensions["gateway_metrics"].submission(
        "dingtalk", {"opened": "created", "repeat": "repeat"}.get(stored.outcome, stored.outcome))
    return jsonify(robot.reply(stored.body["reply"]))
