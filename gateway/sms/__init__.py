"""The SMS channel's gateway side: Twilio's webhook and a domestic provider's uplink push, intake into
conversations, the outbox of texts sent back, phone verification codes and the `[sms]` profile. The pure parsing
and signing is in `channels/sms/`."""
from __future__ import annotations

from gateway.channel_spec import ChannelSpec
from gateway.sms import notices, outbound
from gateway.sms.simulate import simulate_twilio, simulate_uplink
from gateway.sms.views import bp
from gateway.web.openapi_ops import op, param

PATHS = {
    "/channels/sms/twilio": {"post": op(
        "An SMS/MMS from Twilio (form-encoded: From, To, Body, MessageSid, NumMedia, MediaUrlN …); "
        "`X-Twilio-Signature` is checked over GATEWAY_PUBLIC_URL + path (+ query) and the form; the answer is "
        "TwiML naming the reference; a retry of one MessageSid gives the same answer and no second ticket",
        params=[param("X-Twilio-Signature", "header")],
        responses={"200": {"description": "TwiML", "content": {"application/xml": {"schema": {"type": "string"}}}},
                   "4XX": {"description": "TwiML (empty Response)",
                           "content": {"application/xml": {"schema": {"type": "string"}}}}},
        requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["MessageSid", "From", "Body"]}}}})},
    "/channels/sms/uplink": {"post": op(
        "A domestic SMS provider's uplink push (Aliyun SmsUp: a JSON array of {phone_number, content, send_time, "
        "sign_name?, dest_code, sequence_id}); 200 `{\"code\": 0}` only when every message is stored "
        "(`sequence_id` is the idempotency key), else 5xx so the provider pushes again",
        params=[param("token", "query")],
        requestBody={"required": True, "content": {"application/json": {"schema": {
            "type": "array", "items": {"type": "object", "required": ["phone_number", "content", "sequence_id"]}}}}})},
}


def _parts(settings) -> dict[str, bool]:
    return {"sms/twilio": bool(settings.twilio_auth_token), "sms/uplink": bool(settings.sms_uplink_token)}


SPEC = ChannelSpec(
    name="sms", blueprint=bp, is_on=lambda settings: any(_parts(settings).values()), parts=_parts,
    jobs={outbound.JOB: outbound.send_one}, pending_work=outbound.pending_sms_work, openapi_paths=PATHS,
    simulators={"sms": simulate_twilio, "uplink": simulate_uplink},
    notice_route=notices.notice_route, notice_senders={"sms": notices.send_sms_notice})
