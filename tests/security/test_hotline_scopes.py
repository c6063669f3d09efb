"""Findings 3 and 4: a client key can neither take another key's call id nor make an operator's decision."""
from __future__ import annotations

from tests.harness.gateway import CLIENT_KEY, OPERATOR_KEY, make_gateway
from tests.hotline.support import count, post_hotline

CTI_KEY = "cti-secret-0123456789"


def gateway_with_cti(database_url, tmp_path):
    keys = f"app:{CLIENT_KEY},cti:{CTI_KEY},ops:{OPERATOR_KEY}:operator"
    return make_gateway(database_url, tmp_path, GATEWAY_API_KEYS=keys)


def test_a_predictable_call_id_taken_first_by_the_app_key_does_not_block_the_real_call(database_url, tmp_path):
    gw = gateway_with_cti(database_url, tmp_path)
    squatted = post_hotline(gw, {"call_id": "CTI-20240503-091500-0017", "summary": "抢先占用"}, key=CLIENT_KEY)
    assert squatted.status_code == 201
    real = post_hotline(gw, {"call_id": "CTI-20240503-091500-0017", "summary": "汉阳区钟家村路灯坏了"}, key=CTI_KEY)
    assert real.status_code == 201 and real.json["reference"] != squatted.json["reference"]
    # Within one key the call id is still the idempotency key.
    again = post_hotline(gw, {"call_id": "CTI-20240503-091500-0017", "summary": "汉阳区钟家村路灯坏了"}, key=CTI_KEY)
    assert again.status_code == 200 and again.json == real.json
    changed = post_hotline(gw, {"call_id": "CTI-20240503-091500-0017", "summary": "另一件事"}, key=CTI_KEY)
    assert changed.status_code == 409
    assert count(gw) == 2
    gw.runtime.engine.dispose()


def test_attach_to_case_with_a_client_key_is_403_whether_or_not_the_case_exists(sqlite_gateway):
    gw = sqlite_gateway
    existing = post_hotline(gw, {"call_id": "c-1", "summary": "汉阳区钟家村小区门口路灯坏了"}, key=OPERATOR_KEY)
    gw.drain()
    case_id = gw.get(f"/api/v1/tickets/{existing.json['reference']}", OPERATOR_KEY).json["case"]["id"]
    answers = [post_hotline(gw, {"call_id": f"c-{n}", "summary": "强行并案", "attach_to_case": target})
               for n, target in ((2, case_id), (3, case_id + 1000))]
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].json == answers[1].json and answers[0].json["error"] == "forbidden"
    assert count(gw) == 1
    # The operator's key still may.
    assert post_hotline(gw, {"call_id": "c-4", "summary": "强行并案", "attach_to_case": case_id},
                        key=OPERATOR_KEY).status_code == 201
