"""`/channels/wechat`: WeChat's URL check (GET) and its message pushes (POST), plain, compatible or safe mode."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from channels.errors import ChannelError
from channels.wechat import check_url, empty_reply, open_request, parse_inbound, seal_reply, text_reply
from gateway.intake import IdempotencyConflict
from channels.wechat.texts import text
from gateway.wechat.config import WeChatConfig, load_wechat_config
from gateway.wechat.replay import SeenQueries
from gateway.wechat.intake import handle_inbound

bp = Blueprint("wechat", __name__)


@bp.record_once
def _configure(state) -> None:
    # Read (and check) the [wechat] profile once at start-up, not on the first message.
    settings = state.app.extensions["gateway"].settings
    state.app.extensions["wechat"] = cfg = load_wechat_config(settings)
    # A timestamp is accepted up to the skew either side of our clock: remember a query that long both ways.
    state.app.extensions["wechat_seen"] = SeenQueries(settings.redis_url, 2 * cfg.max_clock_skew_seconds + 1)


def _config() -> WeChatConfig:
    cfg = current_app.extensions["wechat"]
    if not cfg.on:
        raise ChannelError(404, "channel_off", "微信渠道未开启：未配置 WECHAT_TOKEN")
    return cfg


def _now() -> float:
    # The runtime's clock, so a test that freezes time freezes the signature window with it.
    return current_app.extensions["gateway"].clock().timestamp()


@bp.get("/channels/wechat")
def url_check():
    """WeChat's server-address check: echo `echostr` when the signature is right."""
    cfg = _config()
    echostr = check_url(request.args, cfg.credentials, _now(), cfg.max_clock_skew_seconds)
    return Response(echostr, mimetype="text/plain")


@bp.post("/channels/wechat")
def push():
    """A message or event from WeChat; the passive reply goes back in the mode the push came in."""
    cfg = _config()
    runtime = current_app.extensions["gateway"]
    body = request.get_data(cache=False)
    opened = open_request(request.args, body, cfg.credentials, _now(), cfg.max_clock_skew_seconds,
                          cfg.max_body_bytes)
    if opened.mode == "plain" and not current_app.extensions["wechat_seen"].same_body(
            request.args.get("signature", ""), opened.timestamp, opened.nonce, body):
        raise ChannelError(403, "replayed_signature", "该签名已用于另一条消息")
    inbound = parse_inbound(opened.xml)
    verdict = runtime.limits.check(senders=[inbound.citizen])
    if not verdict.allowed:
        # One follower flooding: a polite word back and nothing stored (WeChat would retry an error; a reply
        # it accepts ends the push).
        current_app.extensions["gateway_metrics"].submission("wechat", "limited")
        reply = text(cfg.texts, "rate_limited", seconds=str(verdict.retry_after))
        return _passive(cfg, opened, inbound, reply)
    try:
        stored = handle_inbound(runtime, cfg, inbound, opened.xml.encode("utf-8"))
    except IdempotencyConflict:
        raise ChannelError(409, "idempotency_conflict", "该消息编号已用于内容不同的另一条消息") from None
    metrics = current_app.extensions["gateway_metrics"]
    metrics.submission("wechat", {"opened": "created", "repeat": "repeat"}.get(stored.outcome, stored.outcome))
    return _passive(cfg, opened, inbound, stored.body.get("reply"))


def _passive(cfg: WeChatConfig, opened, inbound, reply: str | None) -> Response:
    """The passive reply in the push's own mode ("success" when there is nothing to say)."""
    if not reply:
        return Response(empty_reply(), mimetype="text/plain")
    xml = text_reply(inbound.openid, inbound.account, reply, int(_now()))
    if opened.mode == "safe":
        xml = seal_reply(xml, cfg.credentials, opened.timestamp)
    return Response(xml, mimetype="application/xml")
