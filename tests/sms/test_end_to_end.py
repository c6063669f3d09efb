"""Twilio's side drives a citizen's whole exchange by SMS; the case system gets one signed case.opened."""
from __future__ import annotations

from tests.sms.simulator import CALLER


def test_report_follow_up_query_and_case_opened(rig, case_system):
    sms = rig.twilio
    accepted = sms.text("汉阳区钟家村小区3栋门口路灯坏了三天")
    reference = accepted.reference
    assert accepted.status == 200 and f"您的诉求已受理，编号 {reference}" in accepted.message
    follow_up = sms.text("晚上很黑，老人容易摔倒")
    assert f"已将补充内容加入您的诉求（编号 {reference}）" in follow_up.message
    rig.drain()                                        # normalized, in a case, delivered
    status = sms.text(f"查询 {reference}")
    assert reference in status.message and "已立案" in status.message

    events = case_system.accepted()
    assert [e["type"] for e in events] == ["case.opened"] and case_system.rejected == []
    report = events[0]["report"]
    assert report["reference"] == reference and report["channel"] == "sms" and report["source"] == "twilio"
    assert report["text"] == "汉阳区钟家村小区3栋门口路灯坏了三天\n晚上很黑，老人容易摔倒"
    assert report["contact"]["phone"] == CALLER and report["citizen"] == f"phone:{CALLER}"
    assert isinstance(report["extra"]["citizen_id"], int)
    assert report["extra"]["phone"] == {"raw": CALLER, "e164": CALLER, "kind": "mobile", "valid": True}
    assert {p["e164"] for p in report["normalized"]["phones"]} == {CALLER}
    assert len(rig.tickets()) == 1
