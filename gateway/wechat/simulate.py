"""`simulate wechat`: a follower's text message as WeChat's servers push it, signed (and in safe mode sealed) with
wechatpy, and the passive reply read back (verified and decrypted in safe mode)."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import datetime

from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from config import Settings
from gateway.simulate import Outcome, SimulationError, error_text, post

DEFAULT_OPENID = "o-simulated-follower-0001"


def _sign_wechat(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def simulate_wechat(settings: Settings, base_url: str, text: str, sender: str | None) -> Outcome:
    """A text message from a follower, in safe mode when the AES key is set (else plain), as WeChat pushes it."""
    if not settings.wechat_token:
        raise SimulationError("WECHAT_TOKEN is not set: the WeChat channel is off (see README, 'Try a channel')")
    sender = sender or DEFAULT_OPENID
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
    response = post(base_url + "/channels/wechat", params=params, data=xml.encode("utf-8"),
                     headers={"Content-Type": "text/xml"})
    if response.status_code != 200 or response.content in (b"", b"success"):
        return Outcome(response.status_code, error_text(response) or "(no reply)", response.status_code == 200)
    reply = ET.fromstring(response.content)
    mode = "plain"
    if crypto is not None and reply.find("Encrypt") is not None:
        # The reply must verify and decrypt with the account's keys, as WeChat checks it.
        inner = crypto.decrypt_message(response.text, reply.findtext("MsgSignature"), reply.findtext("TimeStamp"),
                                       reply.findtext("Nonce"))
        reply, mode = ET.fromstring(inner), "safe"
    return Outcome(response.status_code, f"[{mode} mode] {reply.findtext('Content') or ''}", True)
