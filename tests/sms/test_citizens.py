"""One citizen across channels: identities, claimed links, verification by a texted code, and what a query shows."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.citizens import (confirm_phone, ensure_identity, link_claimed, start_phone_verification,
                              visible_identities)
from gateway.sms.verification import NotAPhone, confirm_code, request_code
from gateway.tables import citizen_identities, ticket_citizens
from tests.sms.simulator import CALLER


def _app_report(rig, user: str, text: str) -> str:
    """A report filed in the app by `user` (identity app:<user>); its reference."""
    response = rig.gw.post_app({"text": text, "contact": {"user_id": user, "phone": CALLER}})
    assert response.status_code == 201, response.json
    return response.json["reference"]


def _link_app_user(rig, user: str) -> None:
    with rig.runtime.engine.begin() as conn:
        link_claimed(conn, ("app", user), ("phone", CALLER), rig.runtime.clock(), "app")


def _code(rig) -> str:
    return re.search(r"验证码是 (\d{6})", rig.outbox()[-1].body).group(1)


def test_an_sms_ticket_points_to_its_phone_and_its_citizen(rig):
    reference = rig.twilio.text("路灯坏了").reference
    with rig.runtime.engine.connect() as conn:
        identity = conn.execute(select(citizen_identities)).one()
        link = conn.execute(select(ticket_citizens)).one()
    assert (identity.kind, identity.value, identity.verified) == ("phone", CALLER, True)
    row = rig.tickets()[0]
    assert row.reference == reference and row.citizen == f"phone:{CALLER}"
    assert link.citizen_id == identity.citizen_id == row.data["extra"]["citizen_id"]
    # The same phone again (another report, later) is the same citizen.
    rig.clock.advance(3600)
    rig.twilio.text("井盖丢了")
    assert rig.tickets()[1].data["extra"]["citizen_id"] == identity.citizen_id


def test_a_claimed_phone_shows_nothing_either_way_until_verified(rig):
    sms_ref = rig.twilio.text("路灯坏了").reference
    app_ref = _app_report(rig, "u-1001", "小区垃圾没人清运")
    _link_app_user(rig, "u-1001")
    # Anybody can type anybody's number into the app: the claim alone shares nothing.
    listing = rig.twilio.text("查询").message
    assert sms_ref in listing and app_ref not in listing
    with rig.runtime.engine.connect() as conn:
        assert visible_identities(conn, "app:u-1001") == ["app:u-1001"]

    request_code(rig.runtime, "app:u-1001", "138 0013 8000", provider="twilio")
    rig.drain()
    assert rig.api.sent[-1]["To"] == CALLER and "验证码" in rig.api.sent[-1]["Body"]
    assert not confirm_code(rig.runtime, "app:u-1001", CALLER, "000000" if _code(rig) != "000000" else "111111")
    assert not confirm_code(rig.runtime, "app:u-1002", CALLER, _code(rig))   # a code is for who asked
    assert confirm_code(rig.runtime, "app:u-1001", CALLER, _code(rig))
    assert not confirm_code(rig.runtime, "app:u-1001", CALLER, _code(rig))   # used once

    listing = rig.twilio.text("CX").message
    assert sms_ref in listing and app_ref in listing
    with rig.runtime.engine.connect() as conn:
        assert visible_identities(conn, "app:u-1001") == ["app:u-1001", f"phone:{CALLER}"]
        citizens = {r.citizen_id for r in conn.execute(select(citizen_identities))}
        linked = {r.citizen_id for r in conn.execute(select(ticket_citizens))}
    assert len(citizens) == 1 and linked == citizens      # the phone's citizen merged into the app user's


def test_codes_expire_and_attempts_are_limited(rig):
    now = rig.runtime.clock()
    with rig.runtime.engine.begin() as conn:
        ensure_identity(conn, "app", "u-7", now)
        code = start_phone_verification(conn, "app:u-7", CALLER, now)
    wrong = "000000" if code != "000000" else "111111"
    with rig.runtime.engine.begin() as conn:
        assert not any(confirm_phone(conn, "app:u-7", CALLER, wrong, now) for _ in range(5))
        assert not confirm_phone(conn, "app:u-7", CALLER, code, now)      # locked after 5 wrong tries
        fresh = start_phone_verification(conn, "app:u-7", CALLER, now)
        assert not confirm_phone(conn, "app:u-7", CALLER, fresh, now.replace(year=now.year + 1))   # expired
        newest = start_phone_verification(conn, "app:u-7", CALLER, now)
        assert confirm_phone(conn, "app:u-7", CALLER, newest, now)


def test_a_claim_never_moves_a_phone_that_belongs_to_someone(rig):
    rig.twilio.text("路灯坏了")
    _link_app_user(rig, "u-9")
    with rig.runtime.engine.connect() as conn:
        rows = {(r.kind, r.value): r for r in conn.execute(select(citizen_identities))}
    assert rows[("phone", CALLER)].citizen_id != rows[("app", "u-9")].citizen_id


def test_service_and_invalid_numbers_cannot_be_verified(rig):
    for number in ("12345", "95588", "1380013800"):
        with pytest.raises(NotAPhone):
            request_code(rig.runtime, "app:u-1", number)


def test_phones_are_masked_in_logs(rig, caplog):
    import logging
    with caplog.at_level(logging.DEBUG):
        rig.twilio.text("路灯坏了")
        rig.twilio.text("您的工单已办结", sender="12345")
        request_code(rig.runtime, "app:u-5", CALLER)
        rig.drain()
    assert "13800138000" not in caplog.text and "+86138****8000" in caplog.text
