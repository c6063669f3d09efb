"""Every bad push is a 4xx (403 signature, 400 malformed, 413 too large), never a 500, and stores nothing."""
from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select

from gateway.tables import submissions, tickets
from tests.wechat.conftest import build_rig
from tests.wechat.simulator import APP_ID, TOKEN, encrypt, fixture, message, sign

TEXT = fixture("text__report")
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
          '<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>'
          '<MsgType>text</MsgType><Content>&lol2;</Content><MsgId>1</MsgId></xml>')
XXE = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>'
       '<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>')


def _count(rig, table) -> int:
    with rig.runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def _plain(rig, body: bytes, **override):
    return rig.wechat.post(body, rig.wechat.params("plain", **override))


def _safe_envelope(rig, encrypted: str, **override):
    body = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return rig.wechat.post(body.encode(), rig.wechat.params("safe", encrypted, **override), "safe")


BAD = [
    # (name, how to send it, status, error code)
    ("bad signature", lambda r: _plain(r, TEXT.encode(), signature="0" * 40), 403, "signature_invalid"),
    ("missing signature", lambda r: _plain(r, TEXT.encode(), signature=None), 403, "signature_invalid"),
    ("missing timestamp", lambda r: _plain(r, TEXT.encode(), timestamp=None), 403, "signature_missing"),
    ("missing nonce", lambda r: _plain(r, TEXT.encode(), nonce=None), 403, "signature_missing"),
    ("timestamp not a number", lambda r: _plain(r, TEXT.encode(), timestamp="soon"), 403, "timestamp_invalid"),
    ("stale timestamp, validly signed", lambda r: _plain(
        r, TEXT.encode(), timestamp="1000000000", signature=sign(TOKEN, "1000000000", "n1"), nonce="n1"),
     403, "timestamp_stale"),
    ("signature with another token", lambda r: _plain(
        r, TEXT.encode(), timestamp=str(int(r.clock().timestamp())), nonce="n2",
        signature=sign("other-token", str(int(r.clock().timestamp())), "n2")), 403, "signature_invalid"),
    ("bad msg_signature", lambda r: _safe_envelope(r, encrypt(TEXT), msg_signature="f" * 40), 403,
     "msg_signature_invalid"),
    ("missing msg_signature", lambda r: _safe_envelope(r, encrypt(TEXT), msg_signature=None), 403,
     "msg_signature_invalid"),
    ("foreign app id in the ciphertext", lambda r: _safe_envelope(r, encrypt(TEXT, app_id="wx0000000000000000")),
     403, "appid_mismatch"),
    ("ciphertext not base64", lambda r: _safe_envelope(r, "%%%not-base64%%%"), 400, "decrypt_failed"),
    ("ciphertext of a wrong length", lambda r: _safe_envelope(r, base64.b64encode(b"x" * 20).decode()), 400,
     "decrypt_failed"),
    ("ciphertext decrypting to garbage", lambda r: _safe_envelope(
        r, encrypt(TEXT, aes_key=base64.b64encode(bytes(32)).decode().rstrip("="))), 400, "decrypt_failed"),
    ("envelope without Encrypt", lambda r: r.wechat.post(b"<xml><ToUserName>x</ToUserName></xml>",
                                                         r.wechat.params("safe", ""), "safe"), 400,
     "encrypt_missing"),
    ("unknown encrypt_type", lambda r: _plain(r, TEXT.encode(), encrypt_type="rot13"), 400, "encrypt_type_invalid"),
    ("malformed xml", lambda r: _plain(r, b"<xml><MsgType>text</MsgType><Content>unclosed</xml>"), 400,
     "invalid_xml"),
    ("not xml", lambda r: _plain(r, b"hello wechat"), 400, "invalid_xml"),
    ("root without fields", lambda r: _plain(r, b"<xml>text</xml>"), 400, "invalid_xml"),
    ("no MsgType", lambda r: _plain(r, b"<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime></xml>"),
     400, "invalid_xml"),
    ("no FromUserName", lambda r: _plain(r, message("text", openid="", msg_id=9, Content="x").encode()), 400,
     "field_missing"),
    ("CreateTime not a number", lambda r: _plain(
        r, message("text", msg_id=9, Content="x").replace("1767225600", "yesterday").encode()), 400,
     "create_time_invalid"),
    ("image without MediaId", lambda r: _plain(r, message("image", msg_id=9, PicUrl="http://x/1").encode()), 400,
     "field_missing"),
    ("nested element where text is expected", lambda r: _plain(
        r, message("text", msg_id=9).replace("</xml>", "<Content><b>x</b></Content></xml>").encode()), 400,
     "field_invalid"),
    ("billion laughs", lambda r: _plain(r, LAUGHS.encode()), 400, "xml_declaration_forbidden"),
    ("external entity (XXE)", lambda r: _plain(r, XXE.encode()), 400, "xml_declaration_forbidden"),
    ("DOCTYPE inside the encrypted message", lambda r: _safe_envelope(r, encrypt(XXE)), 400,
     "xml_declaration_forbidden"),
    ("DOCTYPE in the envelope", lambda r: r.wechat.post(XXE.encode(), r.wechat.params("safe", "x"), "safe"), 400,
     "xml_declaration_forbidden"),
    ("empty body", lambda r: _plain(r, b""), 400, "empty_body"),
    ("blank body", lambda r: _plain(r, b"  \n "), 400, "empty_body"),
    ("not UTF-8", lambda r: _plain(r, TEXT.encode("gbk")), 400, "invalid_utf8"),
    ("100 KB body (over the channel's 64 KB)", lambda r: _plain(
        r, message("text", msg_id=9, Content="长" * 34000).encode()), 413, "body_too_large"),
    ("1 MB body", lambda r: _plain(r, message("text", msg_id=9, Content="x" * 1048576).encode()), 413, None),
]


@pytest.mark.parametrize("name,send,status,code", BAD, ids=[b[0] for b in BAD])
def test_bad_push_is_refused_and_stores_nothing(sqlite_rig, name, send, status, code):
    response = send(sqlite_rig)
    assert response.status == status, response.body
    if code:
        assert f'"error":"{code}"' in response.body.decode()
    assert _count(sqlite_rig, tickets) == 0 and _count(sqlite_rig, submissions) == 0
    # The channel still works afterwards.
    assert sqlite_rig.wechat.push(TEXT).status == 200


def test_url_check_echoes_only_a_valid_signature(sqlite_rig):
    client, clock = sqlite_rig.gw.client, sqlite_rig.clock
    ts = str(int(clock().timestamp()))
    good = {"signature": sign(TOKEN, ts, "nonce1"), "timestamp": ts, "nonce": "nonce1", "echostr": "5837397749"}
    response = client.get("/channels/wechat", query_string=good)
    assert response.status_code == 200 and response.data == b"5837397749"
    for bad in ({"signature": "0" * 40}, {"signature": None}, {"timestamp": "1"}, {"nonce": "other"},
                {"echostr": None}):
        params = {k: v for k, v in {**good, **bad}.items() if v is not None}
        assert client.get("/channels/wechat", query_string=params).status_code in (400, 403)
    assert client.get("/channels/wechat", query_string={**good, "signature": "0" * 40}).status_code == 403


def test_channel_is_off_without_a_token(sqlite_url, tmp_path, case_system, wechat_api):
    rig = build_rig(sqlite_url, tmp_path, case_system, wechat_api, WECHAT_TOKEN=None)
    for response in (rig.gw.client.get("/channels/wechat"), rig.gw.client.post("/channels/wechat", data=TEXT)):
        assert response.status_code == 404
        assert response.json["error"] == "channel_off" and "WECHAT_TOKEN" in response.json["message"]


def test_safe_mode_push_without_an_aes_key_is_refused_but_plain_works(sqlite_url, tmp_path, case_system,
                                                                      wechat_api):
    rig = build_rig(sqlite_url, tmp_path, case_system, wechat_api, WECHAT_ENCODING_AES_KEY=None)
    assert rig.wechat.push(TEXT, "safe").status == 400
    assert rig.wechat.push(TEXT, "plain").status == 200


def test_compatible_mode_plain_and_safe_pushes_both_accepted(sqlite_rig):
    plain = sqlite_rig.wechat.push(message("text", msg_id=101, Content="路灯坏了"), "plain")
    safe = sqlite_rig.wechat.push(message("text", msg_id=102, Content="补充：在3栋"), "safe")
    assert plain.status == safe.status == 200
    assert "Encrypt" in safe.body.decode() and "Encrypt" not in plain.body.decode()


def test_bad_aes_key_is_a_start_up_error(sqlite_url, tmp_path, case_system, wechat_api):
    from config.settings import ConfigError
    with pytest.raises(ConfigError):
        build_rig(sqlite_url, tmp_path, case_system, wechat_api, WECHAT_ENCODING_AES_KEY="too-short")


def test_same_msgid_with_other_content_is_409(sqlite_rig):
    assert sqlite_rig.wechat.push(message("text", msg_id=77, Content="路灯坏了")).status == 200
    assert sqlite_rig.wechat.push(message("text", msg_id=77, Content="别的内容")).status == 409
    assert _count(sqlite_rig, tickets) == 1
