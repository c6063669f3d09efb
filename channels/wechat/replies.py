"""Passive replies: text XML with CDATA that citizen text cannot break, and the safe-mode envelope."""
from __future__ import annotations

from wechatpy.crypto import PrpCrypto
from wechatpy.utils import random_string

from channels.wechat.security import Credentials, aes_key_bytes, signature


def cdata(value: str) -> str:
    """`value` inside CDATA; a `]]>` in it is split across two sections so it cannot end the first early."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, created: int) -> str:
    """A passive text reply (wechatpy's reply renderer does not escape `]]>`, so we render it ourselves)."""
    return ("<xml>"
            f"<ToUserName>{cdata(to_user)}</ToUserName>"
            f"<FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{int(created)}</CreateTime>"
            "<MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content>"
            "</xml>")


def empty_reply() -> str:
    """What WeChat accepts as "received, nothing to say" in both modes."""
    return "success"


def seal_reply(xml: str, creds: Credentials, timestamp: str, nonce: str | None = None) -> str:
    """The safe-mode envelope around a reply: Encrypt, MsgSignature, TimeStamp, Nonce."""
    nonce = nonce or random_string(16)
    encrypt = PrpCrypto(aes_key_bytes(creds.aes_key)).encrypt(xml, creds.app_id).decode("ascii")
    return ("<xml>"
            f"<Encrypt>{cdata(encrypt)}</Encrypt>"
            f"<MsgSignature>{cdata(signature(creds.token, timestamp, nonce, encrypt))}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce>{cdata(nonce)}</Nonce>"
            "</xml>")
