"""One citizen across channels: the app's contact phone and a hotline caller's number are linked, never shown."""
from __future__ import annotations

from sqlalchemy import select

from gateway.citizens import visible_identities
from gateway.tables import citizen_identities, ticket_citizens
from tests.harness.gateway import OPERATOR_KEY


def identities(gw):
    with gw.runtime.engine.connect() as conn:
        return {(r.kind, r.value): (r.citizen_id, r.verified) for r in conn.execute(select(citizen_identities))}


def test_app_contact_phone_is_linked_to_the_app_user_but_not_verified(gateway, case_system):
    reference = gateway.post_app({"text": "小区电梯坏了", "contact": {"user_id": "u-1", "phone": "138 0013 8000"}}
                                 ).json["reference"]
    gateway.drain()
    found = identities(gateway)
    assert found[("app", "u-1")][1] is True and found[("phone", "+8613800138000")] == (found[("app", "u-1")][0], False)
    [event] = case_system.accepted()
    assert event["report"]["extra"]["citizen_id"] == found[("app", "u-1")][0]
    with gateway.runtime.engine.connect() as conn:
        # The unverified phone does not open the app user's reports to whoever texts from that number.
        assert visible_identities(conn, "phone:+8613800138000") == ["phone:+8613800138000"]
        assert conn.execute(select(ticket_citizens.c.identity)).scalar() == "app:u-1"
    assert gateway.get(f"/api/v1/tickets/{reference}", OPERATOR_KEY).json["citizen"] == "app:u-1"


def test_a_hotline_caller_is_known_by_number(gateway, case_system):
    def call(call_id, text):
        return gateway.client.post("/channels/hotline", json={"call_id": call_id, "caller_number": "027-8567 1234",
                                                              "summary": text},
                                   headers={"Authorization": f"Bearer {OPERATOR_KEY}"})
    first = call("c-1", "汉阳区某路口积水严重").json["reference"]
    second = call("c-2", "江夏区某小区停电一整天").json["reference"]
    gateway.drain()
    shown = [gateway.get(f"/api/v1/tickets/{r}", OPERATOR_KEY).json["citizen"] for r in (first, second)]
    assert shown == ["phone:+862785671234", "phone:+862785671234"]
    assert len({e["report"]["extra"]["citizen_id"] for e in case_system.accepted()}) == 1


def test_a_service_number_or_garbage_is_no_citizen(gateway):
    gateway.post_app({"text": "咨询社保", "contact": {"phone": "12345"}})
    gateway.post_app({"text": "咨询公积金", "contact": {"phone": "not a number"}})
    gateway.drain()
    assert identities(gateway) == {}
