"""`python -m gateway simulate …`: one correctly signed message to a running gateway, as the channel's sender would
post it, with the gateway's own configuration (.env and the environment), and the reply the citizen would see.

Signing uses the providers' own libraries where they offer it (wechatpy for WeChat's signature and safe-mode
envelope, twilio's RequestValidator for Twilio's), so a try here fails for the same reasons a real push would.
"""
from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import requests
from twilio.request_validator import RequestValidator
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from config import Settings
from gateway.local_key import local_key_paths

DEFAULT_SENDER = {"wechat": "o-simulated-follower-0001", "sms": "+8613800138000", "uplink": "13900139000",
                  "hotline": "13700137000"}
TIMEOUT = 15


class SimulationError(Exception):
    """The message could not be sent (channel off here, no key, nobody listening): one line for the user."""


@dataclass
class Outcome:
    """What the gateway answered: its HTTP status and the reply as the citizen (or the provider) sees it."""

    status: int
    reply: str
    ok: bool


def _sign_wechat(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _wechat(settings: Settings, base_url: str, text: str, sender: str) -> Outcome:
    """A text message from a follower, in safe mode when the AES key is set (else plain), as WeChat pushes it."""
    if not settings.wechat_token:
        raise SimulationError("WECHAT_TOKEN is not set: the WeChat channel is off (see README, 'Try a channel')")
    now = int(datetime.now().timestamp())
    timestamp, nonce = str(now), uuid.uuid4().hex[:10]
    message = ET.Element("xml")
    for tag, value in (("ToUserName", "gh_simulated_account"), ("FromUserName", sender), ("CreateTime", str(now)),
                       ("MsgType", "text"), ("Content", text), ("MsgId", str(uuid.uuid4().int >> 65))):
        ET.SubElement(message, tag).text = value
    xml = ET.tostring(message, encoding="unicode")
    params = {"signature": _sign_wechat(settings.wechat_token, timestamp, nonce), "timestamp": timestamp,
              "nonce": nonce, "openid": sender}
    crypto = None
    if settings.wechat_aes_key and settings.wechat_app_id:
        crypto = WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)
        envelope = ET.fromstring(crypto.encrypt_message(xml, nonce, timestamp))
        params.update(encrypt_type="aes", msg_signature=envelope.findtext("MsgSignature"))
        body = f"<xml><ToUserName><![CDATA[gh_simulated_account]]></ToUserName>" \
               f"<Encrypt><![CDATA[{envelope.findtext('Encrypt')}]]></Encrypt></xml>"
        xml = body
    response = _post(base_url + "/channels/wechat", params=params, data=xml.encode("utf-8"),
                     headers={"Content-Type": "text/xml"})
    if response.status_code != 200 or response.content in (b"", b"success"):
        return Outcome(response.status_code, _error_text(response) or "(no reply)", response.status_code == 200)
    reply = ET.fromstring(response.content)
    mode = "plain"
    if crypto is not None and reply.find("Encrypt") is not None:
        # The reply must verify and decrypt with the account's keys, as WeChat checks it.
        inner = crypto.decrypt_message(response.text, reply.findtext("MsgSignature"), reply.findtext("TimeStamp"),
                                       reply.findtext("Nonce"))
        reply, mode = ET.fromstring(inner), "safe"
    return Outcome(response.status_code, f"[{mode} mode] {reply.findtext('Content') or ''}", True)


def _twilio(settings: Settings, base_url: str, text: str, sender: str) -> Outcome:
    """An SMS as Twilio posts it, signed over GATEWAY_PUBLIC_URL + path (what the gateway checks)."""
    if not settings.twilio_auth_token:
        raise SimulationError("TWILIO_AUTH_TOKEN is not set: the Twilio SMS channel is off (see README, "
                              "'Try a channel')")
    sid = "SM" + uuid.uuid4().hex
    form = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "SmsStatus": "received", "NumMedia": "0",
            "NumSegments": "1", "AccountSid": settings.twilio_account_sid or "AC" + "0" * 32, "From": sender,
            "To": settings.twilio_from_number or "+10005550100", "Body": text, "ApiVersion": "2010-04-01"}
    path = "/channels/sms/twilio"
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(
        settings.public_url.rstrip("/") + path, form)
    response = _post(base_url + path, data=form, headers={"X-Twilio-Signature": signature})
    try:
        message = ET.fromstring(response.content).findtext("Message")
    except ET.ParseError:
        message = None
    if response.status_code != 200:
        return Outcome(response.status_code, _error_text(response), False)
    return Outcome(response.status_code, message or "(no reply text)", True)


def _uplink(settings: Settings, base_url: str, text: str, sender: str) -> Outcome:
    """A one-message batch as a domestic provider's uplink push (Aliyun SmsUp) sends it."""
    if not settings.sms_uplink_token:
        raise SimulationError("GATEWAY_SMS_UPLINK_TOKEN is not set: the SMS uplink channel is off (see README, "
                              "'Try a channel')")
    sent = datetime.now(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M:%S")
    batch = [{"phone_number": sender, "content": text, "send_time": sent, "dest_code": "12345",
              "sequence_id": uuid.uuid4().int >> 76}]
    response = _post(base_url + "/channels/sms/uplink", params={"token": settings.sms_uplink_token},
                     data=json.dumps(batch, ensure_ascii=False).encode("utf-8"),
                     headers={"Content-Type": "application/json"})
    answer = response.text.strip()
    ok = response.status_code == 200 and _json(response).get("code") == 0
    if ok:
        # The provider's push has no reply channel: the citizen's answer leaves as an outbound text.
        answer += "  (the reply to the citizen goes out as a text through [sms] uplink_provider; without its keys " \
                  "it waits in the SMS outbox)"
    return Outcome(response.status_code, answer, ok)


def hotline_key(settings: Settings) -> str:
    """The key a call-center system would use: a configured operator (else client) key, or the local one."""
    for role in ("operator", "client"):
        for key in settings.api_keys:
            if key.role == role:
                return key.secret
    if not settings.api_keys:
        for role, path in local_key_paths(settings).items():
            if Path(path).is_file():
                return Path(path).read_text().strip()
    raise SimulationError("no API key to call /channels/hotline with: set GATEWAY_API_KEYS with an operator or "
                          "client key, or run `python -m gateway serve` once to make the local keys")


def _hotline(settings: Settings, base_url: str, text: str, sender: str) -> Outcome:
    """A call as the call-center system posts it, with an operator (or client) key."""
    call = {"call_id": f"simulate-{uuid.uuid4().hex[:12]}", "caller_number": sender, "transcript": text,
            "started_at": datetime.now(ZoneInfo(settings.timezone)).isoformat(timespec="seconds")}
    response = _post(base_url + "/channels/hotline", json=call,
                     headers={"Authorization": f"Bearer {hotline_key(settings)}"})
    body = _json(response)
    ok = response.status_code in (200, 201)
    if not ok:
        return Outcome(response.status_code, _error_text(response), False)
    reply = body.get("message") or json.dumps(body, ensure_ascii=False)
    if body.get("reference") and body["reference"] not in reply:
        reply = f"{body['reference']}: {reply}"
    return Outcome(response.status_code, reply, True)


CHANNELS: dict[str, Callable[[Settings, str, str, str], Outcome]] = {
    "wechat": _wechat, "sms": _twilio, "uplink": _uplink, "hotline": _hotline}


def _post(url: str, **kwargs) -> requests.Response:
    try:
        return requests.post(url, timeout=TIMEOUT, **kwargs)
    except requests.ConnectionError as exc:
        if "refused" not in str(exc).lower():
            raise SimulationError(f"the connection to {url} failed: {exc}") from None
        raise SimulationError(f"no gateway answers at {url}: start one with `python -m gateway serve`, or give "
                              f"its address with --url") from None
    except requests.Timeout:
        raise SimulationError(f"the gateway at {url} did not answer within {TIMEOUT} s") from None


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_text(response: requests.Response) -> str:
    """The gateway's explanation of a refusal: its JSON message, the comment in an error TwiML, or the body."""
    body = _json(response)
    if body.get("message"):
        return f"{body.get('error', '')}: {body['message']}".lstrip(": ")
    comment = re.search(r"<!--\s*(.*?)\s*-->", response.text)
    return comment.group(1) if comment else response.text.strip()[:500]


def simulate(channel: str, text: str, settings: Settings, url: str | None = None,
             sender: str | None = None) -> Outcome:
    """Send `text` on `channel` to the gateway at `url` (default GATEWAY_PUBLIC_URL); the gateway's answer."""
    base_url = (url or settings.public_url).rstrip("/")
    return CHANNELS[channel](settings, base_url, text, sender or DEFAULT_SENDER[channel])
