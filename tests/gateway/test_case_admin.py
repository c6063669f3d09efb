"""Supervisors undo a merge or force one; both audited and told to the case system."""
from __future__ import annotations

import json

from tests.harness.gateway import CLIENT_KEY, OPERATOR_KEY, SUPERVISOR_KEY

SAME = {"text": "青山区和平大道施工噪音每天到凌晨两点，严重扰民"}
OTHER = {"text": "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运"}


def post(gw, path, body, key=SUPERVISOR_KEY):
    return gw.client.post(path, data=json.dumps(body), headers={"Authorization": f"Bearer {key}",
                                                                "Content-Type": "application/json"})


def test_unmerge_makes_a_case_of_its_own_end_to_end(gateway, case_system):
    first = gateway.post_app(SAME).json["reference"]
    gateway.drain()
    second = gateway.post_app({**SAME, "contact": {"user_id": "u-2"}}).json["reference"]
    gateway.drain()
    case_id = gateway.get(f"/api/v1/tickets/{second}").json["case"]["id"]
    assert post(gateway, f"/api/v1/cases/{case_id}/unmerge", {"reference": second}, OPERATOR_KEY).status_code == 403
    done = post(gateway, f"/api/v1/cases/{case_id}/unmerge", {"reference": second.lower(), "reason": "不同楼栋"})
    assert done.status_code == 200
    new_id = done.json["new_case_id"]
    gateway.drain()
    types = [(e["type"], e["case"]["id"]) for e in case_system.accepted()]
    assert types == [("case.opened", case_id), ("case.report_added", case_id), ("case.unmerged", case_id),
                     ("case.opened", new_id)]
    assert gateway.get(f"/api/v1/tickets/{second}").json["case"]["id"] == new_id
    assert gateway.get(f"/api/v1/tickets/{first}").json["case"] == {"id": case_id, "status": "open", "reports": 1,
                                                                  "merged_into": None}
    audit = gateway.get(f"/api/v1/cases/{case_id}", OPERATOR_KEY).json["decisions"]
    assert audit[-1]["action"] == "unmerged" and audit[-1]["actor"] == "lead"
    assert audit[-1]["evidence"]["reason"] == "不同楼栋"
    # The last report cannot leave its case.
    assert post(gateway, f"/api/v1/cases/{new_id}/unmerge", {"reference": second}).status_code == 409


def test_forced_merge_moves_reports_and_closes_the_other_case(gateway, case_system):
    a = gateway.post_app(SAME).json["reference"]
    b = gateway.post_app(OTHER).json["reference"]
    gateway.drain()
    case_a = gateway.get(f"/api/v1/tickets/{a}").json["case"]["id"]
    case_b = gateway.get(f"/api/v1/tickets/{b}").json["case"]["id"]
    assert case_a != case_b
    done = post(gateway, f"/api/v1/cases/{case_a}/merge", {"case_id": case_b, "reason": "同一工地"})
    assert done.status_code == 200 and done.json["references"] == [b]
    gateway.drain()
    merged = case_system.accepted()[-1]
    assert merged["type"] == "case.merged" and merged["merged_case_id"] == case_b and merged["case"]["reports"] == 2
    assert gateway.get(f"/api/v1/tickets/{b}").json["case"]["id"] == case_a
    view = gateway.get(f"/api/v1/cases/{case_b}", OPERATOR_KEY).json
    assert view["status"] == "merged" and view["merged_into"] == case_a
    # A later duplicate of the absorbed case goes to the case that absorbed it.
    c = gateway.post_app(OTHER).json["reference"]
    gateway.drain()
    assert gateway.get(f"/api/v1/tickets/{c}").json["case"]["id"] == case_a
    assert post(gateway, f"/api/v1/cases/{case_b}/merge", {"case_id": case_a}).status_code == 409
    assert post(gateway, f"/api/v1/cases/{case_a}/merge", {"case_id": case_a}).status_code == 409
    assert post(gateway, f"/api/v1/cases/{case_a}/merge", {"case_id": 999}).status_code == 404
    assert post(gateway, f"/api/v1/cases/{case_a}/merge", {"case_id": "x"}).status_code == 422
    assert post(gateway, f"/api/v1/cases/{case_a}/merge", {"case_id": case_b}, CLIENT_KEY).status_code == 403
