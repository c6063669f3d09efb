"""The pure adapter: text intents, CDATA rendering, and the envelope against our independent implementation."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from channels.errors import ChannelError
from channels.chat.intents import classify_text
from channels.wechat.replies import seal_reply, text_reply
from channels.wechat.security import Credentials, open_request
from tests.wechat.simulator import AES_KEY, APP_ID, TOKEN, decrypt, encrypt, sign

KW = {"query_keywords": ("查询",), "new_report_keywords": ("新诉求",)}
CREDS = Credentials(TOKEN, APP_ID, AES_KEY)


@pytest.mark.parametrize("content,name,extra", [
    ("查询", "query", {}),
    ("查询 k7qm4-xp2hd", "query", {"reference": "K7QM4-XP2HD"}),
    ("查询：K7QM4XP2HD", "query", {"reference": "K7QM4XP2HD"}),
    ("查询一下社保怎么交", "report", {}),
    ("新诉求", "new_report", {"text": ""}),
    ("新诉求：井盖丢了", "new_report", {"text": "井盖丢了"}),
    ("1", "rating", {"rating": 1, "text": ""}),
    ("３", "rating", {"rating": 3}),
    ("2，修得很快", "rating", {"rating": 2, "text": "修得很快"}),
    ("3 栋楼下有垃圾", "report", {}),
    ("1号楼电梯坏了", "report", {}),
])
def test_intents(content, name, extra):
    intent = classify_text(content, **KW)
    assert intent.name == name
    assert {k: getattr(intent, k) for k in extra} == extra


def test_text_reply_survives_cdata_terminators():
    content = "a]]>b]]]]>c<![CDATA[d"
    root = ET.fromstring(text_reply("o]]>x", "gh", content, 1))
    assert root.find("Content").text == content and root.find("ToUserName").text == "o]]>x"


def test_sealed_reply_opens_with_the_independent_implementation():
    sealed = ET.fromstring(seal_reply("<xml><Content>好</Content></xml>", CREDS, "1700000000", "n"))
    encrypted = sealed.find("Encrypt").text
    assert sealed.find("MsgSignature").text == sign(TOKEN, "1700000000", "n", encrypted)
    assert decrypt(encrypted) == ("<xml><Content>好</Content></xml>", APP_ID)


def test_independent_envelope_opens_and_a_tampered_one_does_not():
    inner = "<xml><MsgType>text</MsgType></xml>"
    encrypted = encrypt(inner)
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    params = {"timestamp": "1700000000", "nonce": "n", "encrypt_type": "aes",
              "msg_signature": sign(TOKEN, "1700000000", "n", encrypted)}
    assert open_request(params, body, CREDS, 1700000000, 300, 65536).xml == inner
    with pytest.raises(ChannelError) as info:
        open_request({**params, "msg_signature": sign(TOKEN, "1700000000", "n", encrypted + "A")}, body, CREDS,
                     1700000000, 300, 65536)
    assert info.value.status == 403
