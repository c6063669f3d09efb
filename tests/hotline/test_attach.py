"""`attach_to_case`: the operator's decision on the call puts the report in that case instead of the deduper's."""
from __future__ import annotations

import json

from tests.harness.gateway import OPERATOR_KEY, SUPERVISOR_KEY
from tests.hotline.support import count, post_hotline

NOISE = "青山区和平大道施工噪音每天到凌晨两点，严重扰民"
LITTER = "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运"


def case_of(gw, reference: str) -> int:
    return gw.get(f"/api/v1/tickets/{reference}").json["case"]["id"]


def new_case(gw, call_id: str, text: str) -> int:
    reference = post_hotline(gw, {"call_id": call_id, "summary": text}).json["reference"]
    gw.drain()
    return case_of(gw, reference)


def test_an_attached_call_joins_the_operators_case_not_the_dedupe_one(gateway, case_system):
    noise_case = new_case(gateway, "c-1", NOISE)
    litter_case = new_case(gateway, "c-2", LITTER)
    assert noise_case != litter_case
    # Word for word a duplicate of the noise case, but the operator knows it belongs to the litter case.
    answer = post_hotline(gateway, {"call_id": "c-3", "summary": NOISE, "agent_id": "A2048",
                                    "attach_to_case": litter_case}, key=OPERATOR_KEY)
    assert answer.status_code == 201 and answer.json["case_id"] == litter_case
    assert str(litter_case) in answer.json["message"]
    gateway.drain()
    reference = answer.json["reference"]
    assert case_of(gateway, reference) == litter_case
    decision = gateway.get(f"/api/v1/cases/{litter_case}", OPERATOR_KEY).json["decisions"][-1]
    assert decision["reference"] == reference and decision["action"] == "joined" and decision["actor"] == "A2048"
    assert decision["evidence"] == {"rule": "attached by operator", "by": "A2048", "case_id": litter_case}
    added = case_system.accepted()[-1]
    assert added["type"] == "case.report_added" and added["case"]["id"] == litter_case
    assert added["report"]["reference"] == reference and added["case"]["reports"] == 2


def test_without_an_agent_id_the_key_name_took_the_decision(gateway):
    case_id = new_case(gateway, "c-1", LITTER)
    answer = post_hotline(gateway, {"call_id": "c-2", "summary": NOISE, "attach_to_case": case_id}, key=OPERATOR_KEY)
    gateway.drain()
    assert case_of(gateway, answer.json["reference"]) == case_id
    decision = gateway.get(f"/api/v1/cases/{case_id}", OPERATOR_KEY).json["decisions"][-1]
    assert decision["actor"] == "ops" and decision["evidence"]["by"] == "ops"


def test_attaching_to_a_merged_case_follows_it(gateway):
    kept = new_case(gateway, "c-1", NOISE)
    absorbed = new_case(gateway, "c-2", LITTER)
    merged = gateway.client.post(f"/api/v1/cases/{kept}/merge", data=json.dumps({"case_id": absorbed}),
                                 headers={"Authorization": f"Bearer {SUPERVISOR_KEY}",
                                          "Content-Type": "application/json"})
    assert merged.status_code == 200
    answer = post_hotline(gateway, {"call_id": "c-3", "summary": "另一件事：洪山区光谷大道井盖缺失",
                                    "attach_to_case": absorbed}, key=OPERATOR_KEY)
    assert answer.status_code == 201 and answer.json["case_id"] == kept
    gateway.drain()
    assert case_of(gateway, answer.json["reference"]) == kept
    assert count(gateway) == 3
