"""The WeChat official-account channel's gateway side: the endpoint, intake into conversations, media download,
the WeChat API client and the `[wechat]` profile. The pure parsing and signing is in `channels/wechat/`."""
from __future__ import annotations

from gateway.channel_spec import ChannelSpec
from gateway.web.openapi_ops import op, param
from gateway.wechat import media, notices
from gateway.wechat.simulate import simulate_wechat
from gateway.wechat.views import bp

PATHS = {
    "/channels/wechat": {
        "get": op("WeChat's server-address check: echoes `echostr` when `signature` is right, else 403",
                  params=[param(n, "query") for n in ("signature", "timestamp", "nonce", "echostr")]),
        "post": op("A WeChat push (XML); plain mode checks `signature`, safe mode (`encrypt_type=aes`) "
                   "`msg_signature` and decrypts; the passive reply (XML, or `success`) is in the same mode",
                   params=[param("signature", "query"), param("timestamp", "query"), param("nonce", "query"),
                           param("encrypt_type", "query", required=False),
                           param("msg_signature", "query", required=False)]),
    },
}

SPEC = ChannelSpec(
    name="wechat", blueprint=bp, is_on=lambda settings: bool(settings.wechat_token),
    jobs={media.JOB: media.fetch_media}, pending_work=media.pending_media_work, openapi_paths=PATHS,
    simulators={"wechat": simulate_wechat},
    notice_route=notices.notice_route, notice_senders={"wechat": notices.send_wechat_notice})
