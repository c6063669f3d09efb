"""`simulate sms` (Twilio's webhook, signed with twilio's own RequestValidator) and `simulate uplink` (a domestic
provider's push with its token)."""
from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

from twilio.request_validator import RequestValidator

from config import Settings
from gateway.simulate import Outcome, SimulationError, error_text, json_body, post

DEFAULT_TWILIO_SENDER = "+8613800138000"
DEFAULT_UPLINK_SENDER = "13900139000"     # another citizen than the Twilio one, so each try opens its own report


def simulate_twilio(settings: Settings, base_url: str, text: str, sender: str | None) -> Outcome:
    """An SMS as Twilio posts it, signed over GATEWAY_PUBLIC_URL + path (what the gateway checks)."""
    if not settings.twilio_auth_token:
        raise SimulationError("TWILIO_AUTH_TOKEN is not set: the Twilio SMS channel is off (see README, "
                              "'Try a channel')")
    sender = sender or DEFAULT_TWILIO_SENDER
    sid = "SM" + uuid.uuid4().hex
    form = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "SmsStatus": "received", "NumMedia": "0",
            "NumSegments": "1", "AccountSid": settings.twilio_account_sid or "AC" + "0" * 32, "From": sender,
            "To": settings.twilio_from_number or "+10005550100", "Body": text, "ApiVersion": "2010-04-01"}
    path = "/channels/sms/twilio"
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(
        settings.public_url.rstrip("/") + path, form)
    response = post(base_url + path, data=form, headers={"X-Twilio-Signature": signature})
    try:
        message = ET.fromstring(response.content).findtext("Message")
    except ET.ParseError:
        message = None
    if response.status_code != 200:
        return Outcome(response.status_code, error_text(response), False)
    return Outcome(response.status_code, message or "(no reply text)", True)


def simulate_uplink(settings: Settings, base_url: str, text: str, sender: str | None) -> Outcome:
    """A one-message batch as a domestic provider's uplink push (Aliyun SmsUp) sends it."""
    if not settings.sms_uplink_token:
        raise SimulationError("GATEWAY_SMS_UPLINK_TOKEN is not set: the SMS uplink channel is off (see README, "
                              "'Try a channel')")
    sender = sender or DEFAULT_UPLINK_SENDER
    sent = datetime.now(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M:%S")
    batch = [{"phone_number": sender, "content": text, "send_time": sent, "dest_code": "12345",
              "sequence_id": uuid.uuid4().int >> 76}]
    response = post(base_url + "/channels/sms/uplink", params={"token": settings.sms_uplink_token},
                     data=json.dumps(batch, ensure_ascii=False).encode("utf-8"),
                     headers={"Content-Type": "application/json"})
    answer = response.text.strip()
    ok = response.status_code == 200 and json_body(response).get("code") == 0
    if ok:
        # The provider's push has no reply channel: the citizen's answer leaves as an outbound text.
        answer += "  (the reply to the citizen goes out as a text through [sms] uplink_provider; without its keys " \
                  "it waits in the SMS outbox)"
    return Outcome(response.status_code, answer, ok)
