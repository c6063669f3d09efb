"""A follower who sends their phone number for call-backs: remembered as a claim, never as proof."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.chat.intents import classify_text
from gateway.citizens import visible_identities
from gateway.tables import citizen_identities
from tests.wechat.simulator import OPENID, message

KW = dict(query_keywords=["查询"], new_report_keywords=["新诉求"])


@pytest.mark.parametrize("text,number", [
    ("13800138000", "13800138000"), ("我的电话：138 0013 8000", "138 0013 8000"), ("手机号 +8613800138000",
                                                                                  "+8613800138000"),
    ("联系电话027-85671234", "027-85671234"), ("１３８００１３８０００", "13800138000"),
])
def test_a_phone_number_alone_is_a_contact(text, number):
    intent = classify_text(text, **KW)
    assert intent.name == "phone" and intent.text == number


@pytest.mark.parametrize("text", ["13800138000的车占了消防通道", "3栋楼下有垃圾", "12345", "电话打不通"])
def test_a_report_that_mentions_numbers_stays_a_report(text):
    assert classify_text(text, **KW).name == "report"


def test_the_number_is_linked_to_the_follower_unverified(rig):
    reply = rig.wechat.push(message("text", msg_id=7, Content="我的手机 13800138000"), "plain")
    assert "138****8000" in reply.content and rig.tickets() == []
    with rig.runtime.engine.connect() as conn:
        rows = {(r.kind, r.value): (r.citizen_id, r.verified) for r in conn.execute(select(citizen_identities))}
        assert rows[("phone", "+8613800138000")] == (rows[("wechat", OPENID)][0], False)
        # Whoever texts from that number learns nothing about this follower's reports.
        assert visible_identities(conn, "phone:+8613800138000") == ["phone:+8613800138000"]
