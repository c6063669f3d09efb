"""SMS fixtures: what the shared fixture table cannot say (citizen links, Twilio's ids; the uplink's replies sent
through the outbox and Aliyun, and a re-pushed batch sending nothing twice)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from gateway.tables import ticket_citizens
from tests.sms.simulator import FIXTURES, fixture_pairs

ACCEPTED = "您的诉求已受理，编号"
# What the shared fixture table (tests/harness/tables/sms.py: status, reply, ticket fields, retry) cannot say of a
# Twilio text: whether its sender became a citizen record, and Twilio's ids and media kept with the ticket.
# Fixtures that store a ticket from a sender that is not a real phone number (no citizen record):
UNLINKED = {"sms__unparseable_sender"}
NO_TICKET = {"sms__query_keyword", "sms__query_cx_reference", "sms__query_fullwidth_cx",
             "sms__rating_nothing_to_rate", "sms__new_report_keyword", "sms__empty_body", "sms__service_sender",
             "sms__short_code_bank"}
NAMES = sorted(p.stem for p in FIXTURES.glob("*.form"))


@pytest.mark.parametrize("name", NAMES)
def test_twilio_fixture_links_the_sender_and_keeps_twilio_ids(sqlite_rig, name):
    raw = (FIXTURES / f"{name}.form").read_bytes().strip()
    pairs = dict(fixture_pairs(name))
    reply = sqlite_rig.twilio.post(fixture_pairs(name), raw=raw)
    assert reply.status == 200, reply.body
    rows = sqlite_rig.tickets()
    assert len(rows) == (0 if name in NO_TICKET else 1)
    with sqlite_rig.runtime.engine.connect() as conn:
        linked = conn.execute(select(func.count()).select_from(ticket_citizens)).scalar()
    assert linked == (1 if rows and name not in UNLINKED else 0)
    for row in rows:
        assert row.data["extra"]["sms"]["message_id"] == pairs["MessageSid"]
        assert (row.data["extra"]["citizen_id"] is not None) == (name not in UNLINKED)
        assert len(row.data["attachments"]) == int(pairs["NumMedia"])


UPLINK = {
    "uplink__single": {"tickets": ["江岸区后湖大道工地晚上十二点还在施工，噪音太大"], "replies": {"+8613900139000": ACCEPTED}},
    "uplink__batch_string_ids": {"tickets": ["洪山区光谷大道路面塌陷", "武昌区积玉桥小区停水两天了"],
                                 "replies": {"+8613900139001": ACCEPTED, "+8613900139002": "您还没有用本手机号码",
                                             "+8613900139003": ACCEPTED}},
    "uplink__query_cx": {"tickets": [], "replies": {"+8613900139000": "您还没有用本手机号码提交过诉求"}},
}


def test_every_uplink_fixture_has_a_case():
    assert {p.stem for p in FIXTURES.glob("*.json")} == set(UPLINK)


@pytest.mark.parametrize("name", sorted(UPLINK))
def test_uplink_fixture(sqlite_rig, name):
    expect = UPLINK[name]
    raw = (FIXTURES / f"{name}.json").read_bytes()
    response = sqlite_rig.uplink(None, raw=raw)
    assert response.status_code == 200 and response.json == {"code": 0, "msg": "成功"}
    rows = sqlite_rig.tickets()
    assert [r.data["text"] for r in rows] == expect["tickets"]
    assert all(r.source == "aliyun" and r.citizen.startswith("phone:+86") for r in rows)
    sqlite_rig.drain()
    outbox = sqlite_rig.outbox()
    assert {o.to_phone for o in outbox} == set(expect["replies"])
    for item in outbox:
        assert expect["replies"][item.to_phone] in item.body and item.status == "sent" and item.provider == "aliyun"
    sent = sqlite_rig.aliyun.sent
    assert len(sent) == len(outbox) and all(json.loads(s["TemplateParam"])["content"] for s in sent)
    # The provider pushes the batch again (it missed our answer): nothing new, still code 0.
    again = sqlite_rig.uplink(None, raw=raw)
    assert again.json["code"] == 0 and len(sqlite_rig.tickets()) == len(rows)
    sqlite_rig.drain()
    assert len(sqlite_rig.outbox()) == len(outbox) and len(sqlite_rig.aliyun.sent) == len(sent)
