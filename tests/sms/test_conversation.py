"""Retries, assembly windows, queries and ratings by SMS, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from gateway.tables import case_ratings
from tests.harness.gateway import DOWNSTREAM_SECRET
from tests.sms.simulator import CALLER, form, new_sid

OTHER = "+8613700137000"
JOINED = "已将补充内容加入您的诉求"


def close_case(rig, case_id: int) -> None:
    response = rig.gw.post_signed("/api/v1/case-updates", {
        "case_id": case_id, "status": "closed", "message": "已修复", "unit": "汉阳区城管局",
        "updated_at": datetime.now(timezone.utc).isoformat()}, secret=DOWNSTREAM_SECRET)
    assert response.status_code == 200, response.json


def test_retries_of_one_message_sid_give_one_ticket_and_the_same_reply(rig):
    pairs = form("小区门口路灯坏了")
    first = rig.twilio.post(pairs)
    retries = [rig.twilio.post(pairs) for _ in range(3)]
    assert all(r.status == 200 and r.body == first.body for r in retries)
    assert len(rig.tickets()) == 1 and first.reference == rig.tickets()[0].reference


def test_texts_within_the_window_join_and_the_edge_is_inclusive(rig):
    rig.clock.freeze()
    opened = rig.twilio.text("路灯坏了")
    rig.clock.advance(300)
    photo = rig.twilio.post(form("", media=[("https://api.twilio.com/x/Media/ME1", "image/jpeg")]))
    rig.clock.advance(300)        # exactly 10 minutes after the report was opened
    edge = rig.twilio.text("在3栋门口")
    assert JOINED in photo.message and JOINED in edge.message
    assert photo.reference == edge.reference == opened.reference
    rig.clock.advance(1)          # one second past the window
    fresh = rig.twilio.text("另外，垃圾没人清运")
    assert "您的诉求已受理" in fresh.message and fresh.reference != opened.reference
    rows = rig.tickets()
    assert [r.data["text"] for r in rows] == ["路灯坏了\n在3栋门口", "另外，垃圾没人清运"]
    assert rows[0].data["attachments"] == [{"id": None, "url": "https://api.twilio.com/x/Media/ME1",
                                            "content_type": "image/jpeg"}]


def test_another_number_never_joins_and_uplink_texts_join_the_same_phone(rig):
    first = rig.twilio.text("路灯坏了")
    other = rig.twilio.text("井盖丢了", sender=OTHER)
    assert other.reference != first.reference
    # The same phone through the domestic provider: one conversation per phone, whichever provider carried it.
    response = rig.uplink([{"phone_number": CALLER[3:], "content": "在3栋", "sequence_id": "u-1"}])
    assert response.json["code"] == 0
    assert [r.data["text"] for r in rig.tickets()] == ["路灯坏了\n在3栋", "井盖丢了"]


def test_new_report_keyword_starts_a_fresh_report(rig):
    rig.twilio.text("路灯坏了")
    rig.twilio.text("新诉求 垃圾没人清运")
    rig.twilio.text("新问题")
    rig.twilio.text("井盖丢了")
    assert [r.data["text"] for r in rig.tickets()] == ["路灯坏了", "垃圾没人清运", "井盖丢了"]


def test_queries_show_only_this_numbers_reports(rig):
    mine = rig.twilio.text("路灯坏了").reference
    theirs = rig.twilio.text("井盖丢了", sender=OTHER).reference
    listing = rig.twilio.text("查询")
    assert mine in listing.message and theirs not in listing.message and "已受理" in listing.message
    assert len(rig.tickets()) == 2 and rig.tickets()[0].data["text"] == "路灯坏了"   # a query is not a part
    for asked in (mine, mine.replace("-", "").lower(), f"CX {mine}", f"cx：{mine.lower()}"):
        text = asked if asked.lower().startswith("cx") else f"查询 {asked}"
        assert mine in rig.twilio.text(text).message
    refused = rig.twilio.text(f"CX {theirs}")
    assert theirs in refused.message and "没有找到本手机号码提交的" in refused.message
    # Not a query after all: "查询" followed by words is a report, whatever it says.
    rig.clock.advance(3600)
    assert "您的诉求已受理" in rig.twilio.text("查询一下为什么路灯还没修").message


def test_rating_after_the_case_is_closed(rig, case_system):
    reference = rig.twilio.text("路灯坏了").reference
    assert "您暂时没有待评价的诉求" in rig.twilio.text("1").message
    rig.drain()
    case_id = rig.tickets()[0].case_id
    close_case(rig, case_id)
    assert reference in rig.twilio.text("查询").message
    rated = rig.twilio.text("2，修得有点慢")
    assert "感谢您的评价（基本满意）" in rated.message
    assert "您暂时没有待评价的诉求" in rig.twilio.text("3").message     # one rating per report
    rig.drain()
    with rig.runtime.engine.connect() as conn:
        rating = conn.execute(select(case_ratings)).one()
    assert (rating.rating, rating.comment, rating.citizen) == (2, "修得有点慢", f"phone:{CALLER}")
    event = [e for e in case_system.accepted() if e["type"] == "case.rated"][0]
    assert event["rating"] == 2 and event["case"]["id"] == case_id


def test_a_part_after_the_case_went_downstream_is_a_case_updated_event(rig, case_system):
    rig.twilio.text("路灯坏了")
    rig.drain()
    joined = rig.twilio.post(form("照片", media=[("https://api.twilio.com/x/Media/ME9", "image/png")]))
    assert JOINED in joined.message
    rig.drain()
    types = [e["type"] for e in case_system.accepted()]
    assert types == ["case.opened", "case.updated"]
    update = case_system.accepted()[1]["update"]
    assert update["text"] == "照片" and update["attachments"][0]["content_type"] == "image/png"


def test_a_different_sid_is_a_new_message(rig):
    rig.twilio.text("路灯坏了", sid=new_sid())
    rig.twilio.text("路灯坏了", sid=new_sid())
    rows = rig.tickets()
    assert len(rows) == 1 and rows[0].data["text"] == "路灯坏了\n路灯坏了"
