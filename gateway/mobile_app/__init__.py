"""The mobile app channel's gateway side (`POST /channels/app`). The pure parsing is in `channels/mobile_app/`."""
from __future__ import annotations

from channels.report_schema import AppSubmission
from gateway.channel_spec import ChannelSpec
from gateway.mobile_app import notices
from gateway.mobile_app.views import bp
from gateway.web.openapi_ops import BEARER, op, param

PATHS = {
    "/channels/app": {"post": op("A report from the mobile app", BEARER, "AppSubmission", "201",
                                 [param("Idempotency-Key", "header")])},
}

SPEC = ChannelSpec(name="app", blueprint=bp, is_on=lambda settings: bool(settings.api_keys),
                   openapi_paths=PATHS, openapi_schemas={"AppSubmission": AppSubmission},
                   notice_route=notices.notice_route, notice_senders={"app": notices.send_app_notice})
