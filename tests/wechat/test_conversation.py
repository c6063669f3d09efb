"""Retries, conversation assembly (window edges, bursts, late parts), queries, ratings and emergencies."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from sqlalchemy import func, select

from gateway.tables import case_ratings, conversation_parts, tickets
from tests.harness.gateway import DOWNSTREAM_SECRET
from tests.wechat.conftest import build_rig
from tests.wechat.simulator import OPENID, WeChatServer, message

OTHER = "oUpF8uOtherCitizen0000000000"


def text(msg_id: int, content: str, openid: str = OPENID) -> str:
    return message("text", openid=openid, msg_id=msg_id, Content=content)


def close_case(rig, case_id: int) -> None:
    response = rig.gw.post_signed("/api/v1/case-updates", {
        "case_id": case_id, "status": "closed", "message": "已修复", "unit": "汉阳区城管局",
        "updated_at": datetime.now(timezone.utc).isoformat()}, secret=DOWNSTREAM_SECRET)
    assert response.status_code == 200, response.json


def test_retries_of_one_msgid_give_one_ticket_and_the_same_reply(rig):
    first = rig.wechat.push(text(1, "小区门口路灯坏了"), "safe")
    retries = [rig.wechat.push(text(1, "小区门口路灯坏了"), mode) for mode in ("safe", "plain", "safe")]
    assert all(r.status == 200 and r.content == first.content for r in retries)
    assert len(rig.tickets()) == 1 and rig.tickets()[0].reference in first.content


def test_event_retries_are_keyed_on_sender_and_time(rig):
    subscribe = message("event", created=1767225700, Event="subscribe", EventKey="")
    assert rig.wechat.push(subscribe).content == rig.wechat.push(subscribe).content
    later = message("event", created=1767225701, Event="subscribe", EventKey="")
    assert rig.wechat.push(later).status == 200


def test_parts_within_the_window_join_and_the_edge_is_inclusive(rig):
    rig.clock.freeze()
    opened = rig.wechat.push(text(1, "路灯坏了"))
    rig.clock.advance(300)
    photo = rig.wechat.push(message("image", msg_id=2, PicUrl="http://mmbiz.qpic.cn/p/0", MediaId="M-1"))
    rig.clock.advance(300)   # exactly 10 minutes after the report was opened
    edge = rig.wechat.push(text(3, "在3栋门口"))
    assert "已将您补充的内容加入诉求" in photo.content and "已将您补充的内容加入诉求" in edge.content
    rig.clock.advance(1)     # one second past the window
    fresh = rig.wechat.push(text(4, "另外，垃圾没人清运"))
    assert "您的诉求已受理" in fresh.content
    rows = rig.tickets()
    assert len(rows) == 2
    assert rows[0].data["text"] == "路灯坏了\n在3栋门口" and len(rows[0].data["attachments"]) == 1
    assert rows[0].reference in opened.content and rows[1].reference in fresh.content


def test_explicit_new_report_and_the_menu_start_a_fresh_report(rig):
    rig.wechat.push(text(1, "路灯坏了"))
    rig.wechat.push(text(2, "新诉求 垃圾没人清运"))
    rig.wechat.push(message("event", created=1767225800, Event="CLICK", EventKey="REPORT"))
    rig.wechat.push(text(3, "井盖丢了"))
    assert [r.data["text"] for r in rig.tickets()] == ["路灯坏了", "垃圾没人清运", "井盖丢了"]


def test_a_query_inside_the_window_is_not_a_part(rig):
    opened = rig.wechat.push(text(1, "路灯坏了"))
    reference = rig.tickets()[0].reference
    answer = rig.wechat.push(text(2, "查询"))
    assert reference in answer.content and "已受理" in answer.content
    assert rig.tickets()[0].data["text"] == "路灯坏了" and len(rig.tickets()) == 1
    assert reference in rig.wechat.push(text(3, f"查询 {reference.replace('-', '').lower()}")).content
    assert opened.status == 200


def test_two_messages_of_one_burst_arriving_together_open_one_report(rig):
    barrier = threading.Barrier(4)
    results = []

    def send(i):
        server = WeChatServer(rig.gw.app.test_client(), rig.clock)
        barrier.wait()
        results.append(server.push(text(100 + i, f"第{i}部分")))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in results] == [200] * 4
    rows = rig.tickets()
    assert len(rows) == 1 and sorted(rows[0].data["text"].split("\n")) == [f"第{i}部分" for i in range(4)]


def test_a_late_part_reaches_the_case_as_case_updated(rig, case_system):
    rig.wechat.push(text(1, "汉阳区钟家村路灯坏了"))
    rig.drain()
    assert [e["type"] for e in case_system.accepted()] == ["case.opened"]
    rig.wechat.push(text(2, "补充：在钟家村小区3栋"))
    rig.wechat.push(message("location", msg_id=3, Location_X="30.549236", Location_Y="114.264152", Scale="16",
                            Label="钟家村"))
    rig.drain()
    events = case_system.accepted()
    assert [e["type"] for e in events] == ["case.opened", "case.updated", "case.updated"]
    assert events[1]["update"]["text"] == "补充：在钟家村小区3栋"
    assert events[2]["report"]["location"]["crs"] == "GCJ-02"
    assert "补充：在钟家村小区3栋" in events[2]["report"]["text"]
    with rig.runtime.engine.connect() as conn:
        assert [r.applied_as for r in conn.execute(select(conversation_parts))] == ["event", "event"]


def test_a_part_for_a_normalized_report_is_normalized_again(rig, case_system):
    from sqlalchemy import update

    from gateway.tables import tickets
    rig.wechat.push(text(1, "路灯坏了"))
    # The pipeline now carries a ticket from received into its case in one transaction; an older version left
    # tickets `normalized` between two stages, and a part that joins such a ticket must still be normalized.
    with rig.runtime.engine.begin() as conn:
        conn.execute(update(tickets).values(status="normalized"))
    assert rig.tickets()[0].status == "normalized"
    rig.wechat.push(text(2, "在汉阳区钟家村"))
    assert rig.tickets()[0].status == "received"
    rig.drain()
    row = rig.tickets()[0]
    assert row.data["normalized"]["district"] == "汉阳区"
    assert [e["type"] for e in case_system.accepted()] == ["case.opened"]
    assert case_system.accepted()[0]["report"]["text"] == "路灯坏了\n在汉阳区钟家村"


def test_emergency_text_gets_the_advice_in_the_first_reply(rig):
    reply = rig.wechat.push(text(1, "小区3栋着火了，有人被困"))
    assert "119" in reply.content and "您的诉求已受理" in reply.content
    assert rig.wechat.push(text(1, "小区3栋着火了，有人被困")).content == reply.content


def test_the_last_reported_location_is_used_and_a_sent_one_wins(rig):
    rig.wechat.push(message("event", created=1767225900, Event="LOCATION") .replace(
        "</xml>", "<Latitude>30.5928</Latitude><Longitude>114.3055</Longitude><Precision>65</Precision></xml>"))
    assert rig.tickets() == []
    rig.wechat.push(text(1, "路灯坏了"))
    row = rig.tickets()[0]
    assert row.data["location"] == {"lat": 30.5928, "lng": 114.3055, "crs": "GCJ-02", "address": None}
    assert row.data["extra"]["location_source"] == "last_reported"
    rig.wechat.push(message("location", msg_id=2, Location_X="30.549236", Location_Y="114.264152", Scale="16",
                            Label="钟家村"))
    assert rig.tickets()[0].data["location"]["address"] == "钟家村"


def test_queries_show_only_the_citizens_own_reports(rig):
    rig.wechat.push(text(1, "路灯坏了"))
    mine = rig.tickets()[0].reference
    rig.wechat.push(text(2, "噪音扰民", openid=OTHER))
    theirs = rig.tickets()[1].reference
    answer = rig.wechat.push(text(3, "查询")).content
    assert mine in answer and theirs not in answer
    assert "没有找到" in rig.wechat.push(text(4, f"查询 {theirs}")).content
    menu = rig.wechat.push(message("event", created=1767226000, Event="CLICK", EventKey="QUERY")).content
    assert mine in menu and theirs not in menu


def test_a_closed_case_is_rated_once_and_the_case_system_hears_it(rig, case_system):
    rig.wechat.push(text(1, "路灯坏了"))
    rig.drain()
    assert rig.wechat.push(text(2, "1")).content.startswith("您暂时没有待评价")
    case_id = rig.tickets()[0].case_id
    close_case(rig, case_id)
    assert "已办结" in rig.wechat.push(text(3, "查询")).content
    prompt = rig.wechat.push(message("event", created=1767226100, Event="CLICK", EventKey="RATE")).content
    assert rig.tickets()[0].reference in prompt
    assert "基本满意" in rig.wechat.push(text(4, "2，修得很快")).content
    assert rig.wechat.push(text(5, "3")).content.startswith("您暂时没有待评价")
    rig.drain()
    rated = [e for e in case_system.accepted() if e["type"] == "case.rated"]
    assert len(rated) == 1 and rated[0]["rating"] == 2 and rated[0]["comment"] == "修得很快"
    with rig.runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_ratings)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(tickets)).scalar() == 1


def test_a_reply_echoing_cdata_breaking_text_stays_well_formed(sqlite_url, tmp_path, case_system, wechat_api):
    rig = build_rig(sqlite_url, tmp_path, case_system, wechat_api,
                    profile={"wechat": {"texts": {"accepted": "已收到“{excerpt}”，编号 {reference}",
                                                  "joined": "已收到“{excerpt}”，编号 {reference}"}}})
    for mode in ("plain", "safe"):
        content = f"井盖]]><b>丢了</b>&amp;]]]]>{mode}"
        reply = rig.wechat.push(text(1 if mode == "plain" else 2, content), mode)
        assert reply.status == 200 and f"已收到“{content}”" in reply.content
