"""A WeChat server for tests: signs and (in safe mode) encrypts pushes the way WeChat does, and reads replies.

The envelope is built here from WeChat's published spec with `cryptography` directly, independently of the code
under test (which uses wechatpy): AES-256-CBC, key = base64decode(EncodingAESKey + "="), iv = key[:16],
plaintext = random(16) + len(msg) (4 bytes, big endian) + msg + appid, PKCS#7 padded to 32 bytes.
"""
from __future__ import annotations

import base64
import hashlib
import os
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wechat"
TOKEN = "wx-token-7f3k"
APP_ID = "wx5823bf96d3bd56c7"
APP_SECRET = "wx-app-secret-0123456789abcdef"
AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")   # 43 characters
ACCOUNT = "gh_3a7c1e2b9f40"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def fixture(name: str) -> str:
    return (FIXTURES / f"{name}.xml").read_text(encoding="utf-8")


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _key(aes_key: str) -> bytes:
    return base64.b64decode(aes_key + "=")


def encrypt(xml: str, app_id: str = APP_ID, aes_key: str = AES_KEY, prefix: bytes | None = None) -> str:
    key = _key(aes_key)
    msg = xml.encode("utf-8")
    plain = (prefix or os.urandom(16)) + struct.pack(">I", len(msg)) + msg + app_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def decrypt(encrypted: str, aes_key: str = AES_KEY) -> tuple[str, str]:
    key = _key(aes_key)
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = dec.update(base64.b64decode(encrypted)) + dec.finalize()
    plain = plain[:-plain[-1]]
    length = struct.unpack(">I", plain[16:20])[0]
    return plain[20:20 + length].decode(), plain[20 + length:].decode()


class Clock:
    """The gateway's and the simulator's shared, steerable clock: real time plus an offset, or frozen.

    It never runs behind real time, because the outbox stamps events with the real time and delivers them when
    the runtime's clock has reached that stamp.
    """

    def __init__(self):
        self.offset = timedelta(0)
        self.frozen: datetime | None = None

    def __call__(self) -> datetime:
        return self.frozen or datetime.now(timezone.utc) + self.offset

    def freeze(self) -> None:
        """Stop the clock (an hour ahead of real time) so that window edges can be hit exactly."""
        self.frozen = datetime.now(timezone.utc) + timedelta(hours=1)

    def advance(self, seconds: float) -> None:
        if self.frozen:
            self.frozen += timedelta(seconds=seconds)
        else:
            self.offset += timedelta(seconds=seconds)


@dataclass
class Reply:
    status: int
    body: bytes
    content: str | None          # the text reply's Content, decrypted when sealed
    fields: dict | None          # every field of the (inner) reply


def message(kind: str, openid: str = OPENID, msg_id: int | None = None, created: int = 1767225600,
            **fields: str) -> str:
    """A push in WeChat's format (text, image, location, event …) with the given fields."""
    body = [f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>", f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
            f"<CreateTime>{created}</CreateTime>", f"<MsgType><![CDATA[{kind}]]></MsgType>"]
    for name, value in fields.items():
        # WeChat splits a `]]>` in the text across two CDATA sections, as any XML writer must.
        value = value.replace("]]>", "]]]]><![CDATA[>")
        body.append(f"<{name}><![CDATA[{value}]]></{name}>")
    if msg_id is not None:
        body.append(f"<MsgId>{msg_id}</MsgId>")
    return "<xml>" + "".join(body) + "</xml>"


class WeChatServer:
    """Pushes XML to the gateway as WeChat would, in plain or safe mode."""

    def __init__(self, client, clock: Clock, token: str = TOKEN, app_id: str = APP_ID, aes_key: str = AES_KEY):
        self.client, self.clock, self.token, self.app_id, self.aes_key = client, clock, token, app_id, aes_key

    def params(self, mode: str, encrypted: str | None = None, **override) -> dict:
        timestamp, nonce = str(int(self.clock().timestamp())), os.urandom(6).hex()
        params = {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                  "openid": OPENID}
        if mode == "safe":
            params.update(encrypt_type="aes", msg_signature=sign(self.token, timestamp, nonce, encrypted))
        params.update(override)
        return {k: v for k, v in params.items() if v is not None}

    def envelope(self, xml: str, app_id: str | None = None) -> tuple[bytes, str]:
        encrypted = encrypt(xml, app_id or self.app_id, self.aes_key)
        body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        return body.encode(), encrypted

    def push(self, xml: str, mode: str = "plain", **override) -> Reply:
        if mode == "safe":
            body, encrypted = self.envelope(xml)
            params = self.params("safe", encrypted, **override)
        else:
            body, params = xml.encode("utf-8"), self.params("plain", **override)
        return self.post(body, params, mode)

    def post(self, body: bytes, params: dict, mode: str = "plain") -> Reply:
        response = self.client.post("/channels/wechat", query_string=params, data=body,
                                    headers={"Content-Type": "text/xml"})
        return self.read(response, mode)

    def read(self, response, mode: str) -> Reply:
        body = response.data
        if response.status_code != 200 or body in (b"success", b""):
            return Reply(response.status_code, body, None, None)
        root = ET.fromstring(body)
        fields = {child.tag: child.text for child in root}
        if mode == "safe":
            expected = sign(self.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
            assert fields["MsgSignature"] == expected, "reply signature does not verify"
            inner, app_id = decrypt(fields["Encrypt"], self.aes_key)
            assert app_id == self.app_id
            fields = {child.tag: child.text for child in ET.fromstring(inner)}
        else:
            assert "Encrypt" not in fields, "plain push answered with an encrypted reply"
        return Reply(response.status_code, body, fields.get("Content"), fields)
