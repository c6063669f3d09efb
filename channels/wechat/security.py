"""WeChat's signatures and safe-mode envelopes, and the checks every pushed body passes before parsing.

Plain mode: `signature` = sha1 of the sorted [token, timestamp, nonce], on the URL check and on every POST.
Safe mode (`encrypt_type=aes`): `msg_signature` = sha1 of the sorted [token, timestamp, nonce, Encrypt], and the
Encrypt element is AES-256-CBC of random(16) + len(4, big endian) + xml + app id. wechatpy compares signatures
with `!=`, so we compute the expected value ourselves and compare in constant time; wechatpy only decrypts.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from typing import Mapping
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

from channels.errors import ChannelError

# DOCTYPE and ENTITY declarations are how XXE and "billion laughs" get in; WeChat never sends them.
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_MODES = ("plain", "safe")


@dataclass(frozen=True)
class Credentials:
    token: str
    app_id: str | None = None
    aes_key: str | None = None

    @property
    def safe_mode_on(self) -> bool:
        return bool(self.aes_key and self.app_id)


@dataclass(frozen=True)
class Opened:
    """A verified push: the plaintext XML, and the mode the reply must use."""

    xml: str
    mode: str                 # "plain" or "safe"
    timestamp: str
    nonce: str


def signature(*parts: str) -> str:
    """WeChat's signature: sha1 hex of the parts sorted and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def aes_key_bytes(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key from the 43-character EncodingAESKey; ValueError when it is not one."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("WECHAT_ENCODING_AES_KEY is not 43 characters of base64") from exc
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError("WECHAT_ENCODING_AES_KEY must be 43 characters (a 32-byte key)")
    return key


def _fresh(params: Mapping[str, str], now: float, max_skew: int) -> tuple[str, str]:
    timestamp, nonce = params.get("timestamp"), params.get("nonce")
    if not timestamp or not nonce:
        raise ChannelError(403, "signature_missing", "缺少 timestamp 或 nonce 参数")
    try:
        skew = abs(now - int(timestamp))
    except (ValueError, OverflowError):  # not a number, or one beyond any float
        raise ChannelError(403, "timestamp_invalid", "timestamp 应为 Unix 秒数") from None
    # WeChat retries within 15 seconds; a much older signature is a replay.
    if skew > max_skew:
        raise ChannelError(403, "timestamp_stale", "请求时间戳与服务器时间相差过大")
    if len(nonce) > 64:
        raise ChannelError(403, "nonce_invalid", "nonce 过长")
    return timestamp, nonce


def _check(expected: str, given: str | None, code: str) -> None:
    # Bytes, not str: compare_digest raises TypeError on a str with non-ASCII characters.
    if not given or not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
        raise ChannelError(403, code, "签名校验失败")


def check_url(params: Mapping[str, str], creds: Credentials, now: float, max_skew: int) -> str:
    """The URL check (GET): the `echostr` to echo back, or a 403 ChannelError."""
    timestamp, nonce = _fresh(params, now, max_skew)
    _check(signature(creds.token, timestamp, nonce), params.get("signature"), "signature_invalid")
    echostr = params.get("echostr")
    if not echostr or len(echostr) > 512:
        raise ChannelError(400, "echostr_missing", "缺少 echostr 参数")
    return echostr


def checked_xml(body: bytes, max_bytes: int) -> str:
    """The body as text, refused when empty, too large, not UTF-8, or carrying DTD declarations."""
    if not body or not body.strip():
        raise ChannelError(400, "empty_body", "请求体为空，应为微信推送的 XML")
    if len(body) > max_bytes:
        raise ChannelError(413, "body_too_large", f"请求体过大（最大 {max_bytes} 字节）")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ChannelError(400, "invalid_utf8", "请求体不是合法的 UTF-8 编码") from None
    if _DECLARATION.search(text):
        raise ChannelError(400, "xml_declaration_forbidden", "XML 中不允许 DOCTYPE/ENTITY 声明")
    return text


def xml_fields(text: str) -> dict:
    """The children of the `<xml>` root as a dict, or a 400 ChannelError for anything else."""
    try:
        data = xmltodict.parse(text, disable_entities=True)
    except (ExpatError, ValueError):
        raise ChannelError(400, "invalid_xml", "XML 格式错误") from None
    root = data.get("xml") if isinstance(data, dict) else None
    if not isinstance(root, dict):
        raise ChannelError(400, "invalid_xml", "XML 根元素应为 <xml> 且包含字段")
    return root


def _decrypt(encrypt: str, creds: Credentials) -> str:
    try:
        return PrpCrypto(aes_key_bytes(creds.aes_key)).decrypt(encrypt, creds.app_id)
    except InvalidAppIdException:
        raise ChannelError(403, "appid_mismatch", "密文中的 AppID 与本公众号不符") from None
    # wechatpy's decrypt trusts the padding and the length field: garbage surfaces as any of these.
    except (ValueError, TypeError, IndexError, struct.error):
        raise ChannelError(400, "decrypt_failed", "消息解密失败") from None


def open_request(params: Mapping[str, str], body: bytes, creds: Credentials, now: float, max_skew: int,
                 max_bytes: int) -> Opened:
    """Verify a POST from WeChat and return its plaintext XML; raises ChannelError (403/400/413)."""
    timestamp, nonce = _fresh(params, now, max_skew)
    encrypt_type = (params.get("encrypt_type") or "raw").lower()
    if encrypt_type not in ("raw", "aes"):
        raise ChannelError(400, "encrypt_type_invalid", "不支持的 encrypt_type")
    if encrypt_type == "raw":
        # Plain (or compatible) mode: the plain signature is the only proof the push came from WeChat.
        _check(signature(creds.token, timestamp, nonce), params.get("signature"), "signature_invalid")
        return Opened(checked_xml(body, max_bytes), "plain", timestamp, nonce)
    if not creds.safe_mode_on:
        raise ChannelError(400, "safe_mode_off", "未配置 WECHAT_ENCODING_AES_KEY/WECHAT_APP_ID，无法处理加密消息")
    if params.get("signature"):
        _check(signature(creds.token, timestamp, nonce), params.get("signature"), "signature_invalid")
    envelope = xml_fields(checked_xml(body, max_bytes))
    encrypt = envelope.get("Encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise ChannelError(400, "encrypt_missing", "加密消息缺少 Encrypt 字段")
    _check(signature(creds.token, timestamp, nonce, encrypt), params.get("msg_signature"), "msg_signature_invalid")
    return Opened(checked_xml(_decrypt(encrypt, creds).encode("utf-8"), max_bytes), "safe", timestamp, nonce)
