"""The 12345 hotline's gateway side: calls from the call-center system or the console, and CSV imports.
The pure parsing is in `channels/hotline/`."""
from __future__ import annotations

from channels.hotline.schema import HotlineCall
from gateway.channel_spec import ChannelSpec
from gateway.hotline import notices
from gateway.hotline.simulate import simulate_hotline
from gateway.hotline.views import bp
from gateway.web.openapi_ops import BEARER, op

PATHS = {
    "/channels/hotline": {"post": op("A call from the call-center system or the operator console; `call_id` is "
                                     "the idempotency key (repeat: 200 with the first answer; changed: 409)",
                                     BEARER, "HotlineCall", "201")},
}

SPEC = ChannelSpec(name="hotline", blueprint=bp, is_on=lambda settings: bool(settings.api_keys),
                   openapi_paths=PATHS, openapi_schemas={"HotlineCall": HotlineCall},
                   simulators={"hotline": simulate_hotline},
                   notice_route=notices.notice_route)
