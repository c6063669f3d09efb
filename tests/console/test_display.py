"""The console speaks the city's language and clock: statuses and channels in Chinese, times in the city's zone
(GATEWAY_TIMEZONE, else the profile's), on every page that shows them and in the call form's caller history."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.console.display import (CASE_STATUS_NAMES, TICKET_STATUS_NAMES, case_status, local_time,
                                     ticket_status)
from gateway.operators import add_operator
from gateway.tables import cases, tickets
from normalizer.ticket import TICKET_STATUSES
from tests.console.conftest import PASSWORD, signed_in
from tests.harness.gateway import make_gateway

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_utc_time_is_shown_on_the_citys_wall_clock():
    late = datetime(2026, 3, 1, 16, 30, 5, tzinfo=timezone.utc)
    assert local_time(late, SHANGHAI) == "2026-03-02 00:30:05"          # the next day in Wuhan
    assert local_time(late.replace(tzinfo=None), SHANGHAI) == "2026-03-02 00:30:05"   # naive means UTC (the store)
    assert local_time("2026-03-01T16:30:05+00:00", SHANGHAI) == "2026-03-02 00:30:05"
    assert local_time(late, ZoneInfo("America/New_York")) == "2026-03-01 11:30:05"
    assert local_time(None, SHANGHAI) == ""


def test_every_status_has_one_chinese_name():
    assert set(TICKET_STATUS_NAMES) == set(TICKET_STATUSES)
    assert [ticket_status(s) for s in ("received", "normalized", "in_case", "delivered")] == \
        ["已受理", "已处理", "已并案", "已交办"]
    assert [case_status(s) for s in ("open", "accepted", "assigned", "resolved", "closed", "merged")] == \
        ["办理中", "已受理", "已派单", "已办结", "已关闭", "已合并"]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]+", n) for n in [*TICKET_STATUS_NAMES.values(),
                                                               *CASE_STATUS_NAMES.values()])


def _visible(html: str) -> str:
    """The page's text as read on screen: tags (and their attribute values) removed."""
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_pages_show_local_times_and_chinese_statuses(sqlite_url, tmp_path, case_system, zone):
    gw = make_gateway(sqlite_url, tmp_path, DOWNSTREAM_URL=case_system.url, GATEWAY_TIMEZONE=zone)
    try:
        add_operator(gw.runtime.engine, "wang", "operator", PASSWORD)
        reference = gw.post_app({"text": "江汉区青年路路灯坏了三天", "contact": {"phone": "13800138000"}}
                                ).json["reference"]
        gw.drain()
        with gw.runtime.engine.connect() as conn:
            ticket = conn.execute(select(tickets).where(tickets.c.reference == reference)).one()
            case = conn.execute(select(cases).where(cases.c.id == ticket.case_id)).one()
        assert ticket.status == "delivered"
        shown = ticket.received_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
        utc = ticket.received_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        console = signed_in(gw, "wang")

        intake = _visible(console.get("/console/intake").get_data(as_text=True))
        assert shown in intake and utc not in intake and "UTC" not in intake
        assert "已交办" in intake and "App" in intake
        assert not re.search(r"\b(received|normalized|in_case|delivered)\b", intake)

        page = _visible(console.get(f"/console/cases/{case.id}").get_data(as_text=True))
        assert shown in page and utc not in page and "UTC" not in page
        assert "办理中" in page and "已交办" in page
        assert not re.search(r"\b(open|delivered|app)\b", page)

        history = console.get("/console/caller", query_string={"number": "13800138000"}).json["reports"]
        assert history[0]["received_local"] == shown[:16] and history[0]["status_name"] == "已交办"
    finally:
        gw.runtime.engine.dispose()


def test_dead_letters_show_the_event_in_chinese_and_the_local_time(sqlite_url, tmp_path, case_system):
    from gateway.tables import outbox
    gw = make_gateway(sqlite_url, tmp_path, DOWNSTREAM_URL=case_system.url, GATEWAY_TIMEZONE="Asia/Shanghai")
    try:
        add_operator(gw.runtime.engine, "li", "supervisor", PASSWORD)
        case_system.script = [400]
        gw.post_app({"text": "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运"})
        gw.drain()
        with gw.runtime.engine.connect() as conn:
            dead_at = conn.execute(select(outbox.c.dead_at)).scalar_one()
        page = _visible(signed_in(gw, "li").get("/console/dead-letters").get_data(as_text=True))
        assert "立案（case.opened）" in page
        assert dead_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") in page and "UTC" not in page
    finally:
        gw.runtime.engine.dispose()
