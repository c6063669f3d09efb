"""Every inbound fixture, in the exact form its provider posts it, through one table-driven harness."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from gateway.tables import submissions, ticket_citizens
from tests.sms.simulator import CALLER, FIXTURES, fixture_pairs

ACCEPTED = "您的诉求已受理，编号"


@dataclass
class Expect:
    reply: str | None              # a substring of the TwiML <Message>; None: an empty <Response/>
    ticket: dict | None = None     # fields of the one ticket the text must create; None: no ticket
    citizen: str | None = f"phone:{CALLER}"
    linked: bool = True            # the ticket has a citizen record (a real phone number)


CASES = {
    "sms__report": Expect(ACCEPTED, {"text": "汉阳区钟家村小区3栋门口路灯坏了三天，晚上很黑", "channel": "sms",
                                     "source": "twilio", "contact": {"name": None, "phone": CALLER,
                                                                     "user_id": None}}),
    "sms__emoji_mixed_scripts": Expect(ACCEPTED, {"text": "🚧 Road blocked 武昌区中山路 construction déchets 😡 ゴミ"}),
    "sms__emergency": Expect("119", {"text": "楼下餐馆着火了，浓烟很大，武昌区中山路88号", "urgent": True}),
    "sms__query_keyword": Expect("您还没有用本手机号码提交过诉求"),
    "sms__query_cx_reference": Expect("没有找到本手机号码提交的编号为 K7QM4XP2HD 的诉求"),
    "sms__query_fullwidth_cx": Expect("您还没有用本手机号码提交过诉求"),
    "sms__rating_nothing_to_rate": Expect("您暂时没有待评价的诉求"),
    "sms__new_report_keyword": Expect("请直接回复您要反映的问题"),
    "sms__empty_body": Expect("请用文字说明时间、地点和具体情况"),
    "sms__landline_sender": Expect(ACCEPTED, {"text": "小区垃圾三天没人清运", "contact": {
        "name": None, "phone": "+862788886666", "user_id": None}}, citizen="phone:+862788886666"),
    "sms__service_sender": Expect(None),
    "sms__short_code_bank": Expect(None),
    "sms__unparseable_sender": Expect(ACCEPTED, {"text": "路灯坏了"}, citizen="phone-raw:+86138001", linked=False),
    "mms__photo": Expect(ACCEPTED, {"text": "", "attachments": [{
        "id": None, "content_type": "image/jpeg",
        "url": "https://api.twilio.com/2010-04-01/Accounts/AC5ef8732a3c49700934481addd5ce1659/Messages/MM1/Media/ME1"}]}),
    "mms__photos_with_text": Expect(ACCEPTED, {"text": "井盖丢了，见照片"}),
}


def test_every_form_fixture_has_a_case():
    assert {p.stem for p in FIXTURES.glob("*.form")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_twilio_fixture(sqlite_rig, name):
    expect = CASES[name]
    raw = (FIXTURES / f"{name}.form").read_bytes().strip()
    pairs = fixture_pairs(name)
    reply = sqlite_rig.twilio.post(pairs, raw=raw)
    assert reply.status == 200, reply.body
    if expect.reply is None:
        assert reply.message is None
    else:
        assert expect.reply in reply.message
    rows = sqlite_rig.tickets()
    if expect.ticket is None:
        assert rows == []
    else:
        assert len(rows) == 1
        row = rows[0]
        assert row.citizen == expect.citizen and row.reference in reply.message
        for key, value in expect.ticket.items():
            assert row.data[key] == value, key
        assert row.data["extra"]["sms"]["message_id"] == dict(pairs)["MessageSid"]
        assert (row.data["extra"]["citizen_id"] is not None) == expect.linked
        if "attachments" not in expect.ticket:
            assert len(row.data["attachments"]) == int(dict(pairs)["NumMedia"])
    with sqlite_rig.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(submissions)).scalar() == 1
        linked = conn.execute(select(func.count()).select_from(ticket_citizens)).scalar()
    assert linked == (1 if expect.ticket is not None and expect.linked else 0)
    # Twilio retries a webhook it got no answer to: the same reply, nothing new.
    again = sqlite_rig.twilio.post(pairs, raw=raw)
    assert again.status == 200 and again.body == reply.body
    assert len(sqlite_rig.tickets()) == len(rows)


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
