"""Partner platforms' signed webhooks (`POST /channels/webhook/<source>`). The pure verification and parsing is
in `channels/partner_webhook/`."""
from __future__ import annotations

from channels.report_schema import WebhookSubmission
from gateway.channel_spec import ChannelSpec
from gateway.partner_webhook import notices
from gateway.partner_webhook.views import bp
from gateway.web.openapi_ops import SIGNED, op, param

PATHS = {
    "/channels/webhook/{source}": {"post": op("A signed report from a partner platform", SIGNED,
                                              "WebhookSubmission", "201", [param("source")], limited=True)},
}

SPEC = ChannelSpec(name="webhook", blueprint=bp, is_on=lambda settings: bool(settings.webhook_secrets),
                   openapi_paths=PATHS, openapi_schemas={"WebhookSubmission": WebhookSubmission},
                   notice_route=notices.notice_route, notice_senders={"partner": notices.send_partner_notice})
