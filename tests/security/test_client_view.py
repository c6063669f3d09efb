"""Finding 1: a client key (public: it ships in the app) reads nothing the gateway collected about a person."""
from __future__ import annotations

import re
from typing import Any

from tests.harness.gateway import CLIENT_KEY, OPERATOR_KEY, make_gateway
from tests.hotline.support import call, post_hotline

CTI_KEY = "cti-secret-0123456789"
CALLER = "139 7531 8642"
CALLER_DIGITS = "13975318642"
NAME = "欧阳修远"
USER_ID = "user-5566778899"


def strings(node: Any):
    """Every key and scalar of a JSON document, as text."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif node is not None:
        yield str(node)


def leaks(document: Any, digits: str, run: int = 7) -> list[str]:
    """The strings of `document` holding any `run` consecutive digits of `digits` (separators ignored)."""
    windows = {digits[i:i + run] for i in range(len(digits) - run + 1)}
    found = []
    for text in strings(document):
        joined = re.sub(r"[\s\-+().]", "", text)
        if any(window in joined for window in windows):
            found.append(text)
    return found


def gateway_with_cti(database_url, tmp_path):
    keys = f"app:{CLIENT_KEY},cti:{CTI_KEY},ops:{OPERATOR_KEY}:operator"
    return make_gateway(database_url, tmp_path, GATEWAY_API_KEYS=keys)


def test_a_hotline_caller_number_is_nowhere_in_what_the_app_key_reads(database_url, tmp_path):
    gw = gateway_with_cti(database_url, tmp_path)
    body = call("call__transcript_turns.json", caller_number=CALLER, call_id="CTI-SEC-1")
    created = post_hotline(gw, body, key=CTI_KEY)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert not leaks(created.json, CALLER_DIGITS)
    reference = created.json["reference"]
    for _ in (1, 2):   # before and after the pipeline (normalizer: phones in E.164; dedupe: the case)
        seen = gw.get(f"/api/v1/tickets/{reference}", key=CLIENT_KEY)
        assert seen.status_code == 200
        assert not leaks(seen.json, CALLER_DIGITS), leaks(seen.json, CALLER_DIGITS)
        assert not leaks(seen.json, "86" + CALLER_DIGITS)
        gw.drain()
    assert seen.json["case"] is not None and seen.json["normalized"]["district"] == "汉阳区"
    # The report itself stays as sent, and the operator still sees the caller.
    assert seen.json["text"].startswith("话务员：您好")
    operator = gw.get(f"/api/v1/tickets/{reference}", key=OPERATOR_KEY).json
    assert leaks(operator, CALLER_DIGITS)
    assert {p["e164"] for p in operator["normalized"]["phones"]} == {"+86" + CALLER_DIGITS}
    gw.runtime.engine.dispose()


def test_an_app_contact_is_nowhere_in_what_a_client_key_reads(sqlite_gateway):
    gw = sqlite_gateway
    created = gw.post_app({"text": "汉阳区钟家村小区门口路灯坏了三天", "title": "路灯不亮",
                           "contact": {"name": NAME, "phone": CALLER, "user_id": USER_ID}})
    assert created.status_code == 201
    gw.drain()
    seen = gw.get(f"/api/v1/tickets/{created.json['reference']}").json
    assert not leaks(seen, CALLER_DIGITS)
    texts = list(strings(seen))
    assert not [t for t in texts if NAME in t or USER_ID in t or "phone:" in t or "app:" in t]
    assert seen["title"] == "路灯不亮" and "category" in seen["normalized"]
    operator = gw.get(f"/api/v1/tickets/{created.json['reference']}", key=OPERATOR_KEY).json
    assert operator["contact"]["name"] == NAME and operator["contact"]["user_id"] == USER_ID
