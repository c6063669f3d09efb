"""Finding 13: a case update dated far in the future is refused, so it cannot freeze the case."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.harness.gateway import DOWNSTREAM_SECRET, OPERATOR_KEY


def update(gw, case_id: int, status: str, at: str):
    body = {"case_id": case_id, "status": status, "message": "已派单", "unit": "洪山区城管局", "updated_at": at}
    return gw.post_signed("/api/v1/case-updates", body, secret=DOWNSTREAM_SECRET)


def test_an_update_from_the_far_future_is_422_and_later_real_updates_still_apply(gateway):
    reference = gateway.post_app({"text": "洪山区光谷大道井盖缺失"}).json["reference"]
    gateway.drain()
    case_id = gateway.get(f"/api/v1/tickets/{reference}", OPERATOR_KEY).json["case"]["id"]
    frozen = update(gateway, case_id, "closed", "9999-12-31T23:59:59+08:00")
    assert frozen.status_code == 422 and "updated_at" in frozen.json["fields"]
    soon = datetime.now(timezone.utc) + timedelta(minutes=10)
    assert update(gateway, case_id, "closed", soon.isoformat()).status_code == 422
    # A little clock drift is fine, and the real progress still moves the case.
    drift = datetime.now(timezone.utc) + timedelta(minutes=2)
    assert update(gateway, case_id, "assigned", drift.isoformat()).json["applied"] is True
    later = datetime.now(timezone.utc) + timedelta(minutes=3)
    assert update(gateway, case_id, "resolved", later.isoformat()).json["applied"] is True
    assert gateway.get(f"/api/v1/tickets/{reference}").json["case"]["status"] == "resolved"
