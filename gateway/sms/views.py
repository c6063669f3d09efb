"""`/channels/sms/twilio` (Twilio's messaging webhook, TwiML replies) and `/channels/sms/uplink` (a domestic
provider's uplink push, Aliyun SmsUp batches)."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from channels.errors import ChannelError
from channels.sms import twilio, uplink
from gateway.intake import IdempotencyConflict
from gateway.sms.config import SmsConfig, load_sms_config
from gateway.sms.intake import TWIML, handle_sms, record_limited, sms_sender

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)
TWILIO_PATH = "/channels/sms/twilio"
UPLINK_PATH = "/channels/sms/uplink"


@bp.record_once
def _configure(state) -> None:
    state.app.extensions["sms"] = load_sms_config(state.app.extensions["gateway"].settings)


def _config() -> SmsConfig:
    return current_app.extensions["sms"]


def _twiml(xml: str, status: int = 200) -> Response:
    return Response(xml, status=status, mimetype="application/xml")


@bp.post(TWILIO_PATH)
def twilio_message():
    """An SMS/MMS from Twilio: signature over the public URL, then the reply as TwiML."""
    cfg = _config()
    runtime = current_app.extensions["gateway"]
    try:
        if not cfg.twilio_on:
            raise ChannelError(404, "channel_off", "Twilio 短信渠道未开启：未配置 TWILIO_AUTH_TOKEN")
        body = request.get_data(cache=False)
        params = twilio.parse_form(body, cfg.max_body_bytes)
        url = twilio.signed_url(cfg.public_url, request.path, request.query_string.decode("latin-1"))
        try:
            twilio.verify(url, params, request.headers.get(twilio.SIGNATURE_HEADER), cfg.auth_token,
                          request.headers.get(twilio.SETTINGS_HEADER))
        except ChannelError:
            # The URL is what most often differs (a proxy, a port, http vs https): log the one we checked.
            log.warning("Twilio signature check failed for %s", url)
            raise
        message = twilio.parse_message(params, region=cfg.region, received_at=runtime.clock(),
                                       max_text_chars=cfg.max_text_chars)
        if not runtime.limits.check(senders=[sms_sender(message)]).allowed:
            # One number flooding: a polite text back (Twilio sends the TwiML reply), nothing stored.
            current_app.extensions["gateway_metrics"].submission("sms", "limited")
            return _twiml(twilio.twiml(cfg.texts["rate_limited"]))
        stored = handle_sms(runtime, cfg, message, body, TWIML)
    except ChannelError as exc:
        return _twiml(twilio.twiml_error(exc.code, exc.message), exc.status)
    except IdempotencyConflict:
        return _twiml(twilio.twiml_error("idempotency_conflict", "该 MessageSid 已用于内容不同的另一条短信"), 409)
    current_app.extensions["gateway_metrics"].submission(
        "sms", {"opened": "created", "repeat": "repeat"}.get(stored.outcome, stored.outcome))
    return _twiml(twilio.twiml(stored.body.get("reply")))


def _uplink_error(status: int, code: str, message: str):
    # The provider reads `code`; people read `error` and `message`.
    response = jsonify(uplink.answer(status, message, error=code, message=message))
    response.status_code = status
    return response


@bp.post(UPLINK_PATH)
def uplink_push():
    """A batch of uplink texts; `{"code": 0}` only once every one of them is stored."""
    cfg = _config()
    runtime = current_app.extensions["gateway"]
    try:
        if not cfg.uplink_on:
            raise ChannelError(404, "channel_off", "短信上行渠道未开启：未配置 GATEWAY_SMS_UPLINK_TOKEN")
        uplink.check_token(request.args.get("token"), cfg.uplink_token)
        batch = uplink.parse_batch(request.get_data(cache=False), region=cfg.region, zone=runtime.settings.timezone,
                                   now=runtime.clock(), max_text_chars=cfg.max_text_chars)
    except ChannelError as exc:
        return _uplink_error(exc.status, exc.code, exc.message)
    stored, failed, limited = 0, [], 0
    for message, raw in batch:
        try:
            if runtime.limits.check(senders=[sms_sender(message)]).allowed:
                handle_sms(runtime, cfg, message, raw, cfg.uplink_provider)
            else:
                # The batch keeps its own rule (code 0 once every message is recorded): an over-limit sender's
                # text is recorded as limited, not turned into a ticket.
                record_limited(runtime, message, raw)
                limited += 1
            stored += 1
        except IdempotencyConflict:
            # The provider reused a sequence_id for another text: keep the first, and say so, but do not make
            # the provider push this batch for ever.
            log.warning("uplink sequence_id %s reused for a different message; kept the first", message.message_id)
            stored += 1
        except (SQLAlchemyError, RuntimeError) as exc:
            log.error("uplink message %s not stored: %s", message.message_id, str(exc).splitlines()[0])
            failed.append(message.message_id)
    metrics = current_app.extensions["gateway_metrics"]
    metrics.submission("sms", "created" if not failed else "failed")
    if limited:
        metrics.submission("sms", "limited")
    if failed:
        response = jsonify(uplink.answer(1, "部分消息未能保存，请重新推送", error="store_failed",
                                         stored=stored, failed=failed))
        response.status_code = 503
        response.headers["Retry-After"] = "60"
        return response
    return jsonify(uplink.ACCEPTED)
