"""Hot cases: counts per window as reports join, `case.hot` once per level, the ranked list, counts that follow
reports a supervisor moves."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from gateway.tables import outbox
from tests.console.conftest import signed_in
from tests.harness.gateway import CLIENT_KEY, OPERATOR_KEY, SUPERVISOR_KEY

BURST = "青山区和平大道与建设二路路口自来水管爆裂，水漫到路面上了"
OTHER = "江夏区纸坊街道文化路菜市场旁垃圾桶满了没人清运"


class Clock:
    """The gateway's clock, moved by the test: reports are received when the test says."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(gateway):
    # Ahead of the wall clock: events are stamped due at the real time, and must be due on this clock.
    clock = Clock(datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=1))
    gateway.runtime.clock = clock
    return clock


def report(gw, text: str, user: str) -> str:
    answer = gw.post_app({"text": text, "contact": {"user_id": user}})
    assert answer.status_code == 201, answer.json
    return answer.json["reference"]


def hot(gw, window: str = "1h", key: str = OPERATOR_KEY):
    return gw.get(f"/api/v1/hot?window={window}", key)


def case_of(gw, reference: str) -> int:
    return gw.get(f"/api/v1/tickets/{reference}").json["case"]["id"]


def test_levels_go_out_once_each_with_the_counts_and_the_list_ranks_by_window(gateway, case_system, clock):
    start = clock.now
    refs = []
    for i in range(6):
        clock.now = start + timedelta(minutes=i)
        refs.append(report(gateway, BURST, f"u-{i}"))
        gateway.drain()
    other = report(gateway, OTHER, "u-other")
    gateway.drain()
    case_id = case_of(gateway, refs[0])
    assert {case_of(gateway, r) for r in refs} == {case_id}
    hot_events = [e for e in case_system.accepted() if e["type"] == "case.hot"]
    assert [(e["case"]["id"], e["hot"]["level"], e["hot"]["reports_in_window"], e["hot"]["window"])
            for e in hot_events] == [(case_id, 5, 5, 60)]
    assert hot_events[0]["hot"]["counts"] == {"1h": 5, "24h": 5, "7d": 5}
    assert hot_events[0]["case"]["reports"] == 5

    listed = hot(gateway).json
    assert listed["window"] == "1h"
    first, second = listed["cases"][:2]
    assert first["case_id"] == case_id and first["reports_in_window"] == 6 and first["reports_before"] == 0
    assert first["reports_total"] == 6 and first["district"] == "青山区" and first["title"]
    assert datetime.fromisoformat(first["first_at"]) == start
    assert datetime.fromisoformat(first["last_at"]) == start + timedelta(minutes=5)
    assert second["case_id"] == case_of(gateway, other) and second["reports_in_window"] == 1

    # Two hours on, the last hour holds nothing; the day still holds all six; one more report is ranked alone,
    # against the five of the hour before (received from +1 to +5 minutes).
    clock.now = start + timedelta(hours=2)
    assert hot(gateway).json["cases"] == []
    day = hot(gateway, "24h").json["cases"]
    assert day[0]["case_id"] == case_id and day[0]["reports_in_window"] == 6
    report(gateway, BURST, "u-late")
    gateway.drain()
    now_list = hot(gateway).json["cases"]
    assert [(c["case_id"], c["reports_in_window"], c["reports_before"]) for c in now_list] == [(case_id, 1, 5)]
    # No level twice, however many reports follow (the outbox: the case system refuses this far-off clock).
    with gateway.runtime.engine.connect() as conn:
        assert conn.execute(select(outbox.c.type).where(outbox.c.type == "case.hot")).all() == [("case.hot",)]


def test_window_before_counts_the_equal_window_just_before(gateway, clock):
    start = clock.now
    for i in range(3):
        clock.now = start + timedelta(minutes=10 * i)
        report(gateway, BURST, f"u-{i}")
        gateway.drain()
    clock.now = start + timedelta(minutes=75)
    ref = report(gateway, BURST, "u-3")
    gateway.drain()
    # Now = start+75 min: the last hour holds the reports at +20 and +75 min; the hour before those at 0 and +10.
    row = hot(gateway).json["cases"][0]
    assert row["case_id"] == case_of(gateway, ref)
    assert (row["reports_in_window"], row["reports_before"], row["reports_total"]) == (2, 2, 4)


def test_counts_follow_reports_through_unmerge_and_forced_merge(gateway, case_system, clock):
    start = clock.now
    refs = []
    for i in range(4):
        clock.now = start + timedelta(minutes=i)
        refs.append(report(gateway, BURST, f"u-{i}"))
    other = report(gateway, OTHER, "u-other")
    gateway.drain()
    case_id, other_case = case_of(gateway, refs[0]), case_of(gateway, other)
    moved = gateway.client.post(f"/api/v1/cases/{case_id}/unmerge", data=json.dumps({"reference": refs[3]}),
                                headers={"Authorization": f"Bearer {SUPERVISOR_KEY}",
                                         "Content-Type": "application/json"})
    assert moved.status_code == 200
    new_case = moved.json["new_case_id"]
    counts = {c["case_id"]: (c["reports_in_window"], c["reports_total"]) for c in hot(gateway).json["cases"]}
    assert counts == {case_id: (3, 3), new_case: (1, 1), other_case: (1, 1)}

    # Forced merge of both others into the first: 5 reports in the hour, the ladder's first level.
    for absorbed in (new_case, other_case):
        done = gateway.client.post(f"/api/v1/cases/{case_id}/merge", data=json.dumps({"case_id": absorbed}),
                                   headers={"Authorization": f"Bearer {SUPERVISOR_KEY}",
                                            "Content-Type": "application/json"})
        assert done.status_code == 200
    gateway.drain()
    listed = hot(gateway).json["cases"]
    assert [(c["case_id"], c["reports_in_window"], c["reports_total"]) for c in listed] == [(case_id, 5, 5)]
    hot_events = [e for e in case_system.accepted() if e["type"] == "case.hot"]
    assert [(e["case"]["id"], e["hot"]["level"]) for e in hot_events] == [(case_id, 5)]


def test_hot_list_is_for_operators_and_checks_its_window(gateway):
    assert hot(gateway, key=CLIENT_KEY).status_code == 403
    assert gateway.client.get("/api/v1/hot").status_code == 401
    bad = hot(gateway, "2h")
    assert bad.status_code == 400 and bad.json["error"] == "bad_window" and "window" in bad.json["fields"]
    assert gateway.get("/api/v1/hot?limit=0", OPERATOR_KEY).status_code == 400
    assert gateway.get("/api/v1/hot?limit=%EF%BC%91", OPERATOR_KEY).status_code == 400
    assert hot(gateway, "7d").json == {"window": "7d", "cases": [], "groups": []}


def test_console_hot_page_and_metrics_show_the_hottest_case_first(operators, clock):
    gw = operators
    start = clock.now
    for i in range(3):
        clock.now = start + timedelta(minutes=i)
        report(gw, BURST, f"u-{i}")
    quiet = report(gw, OTHER, "u-other")
    gw.drain()
    last = report(gw, BURST, "u-3")
    gw.drain()
    hot_case = case_of(gw, last)
    page = signed_in(gw, "wang").get("/console/hot")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "热点案件" in html and 'http-equiv="refresh"' in html
    rows = html.split('<table id="hot-cases">')[1].split("</table>")[0]
    assert rows.index(f"/console/cases/{hot_case}") < rows.index(f"/console/cases/{case_of(gw, quiet)}")
    assert gw.client.get("/console/hot").status_code in (302, 401)  # not without signing in
    metrics = gw.client.get("/metrics").get_data(as_text=True)
    assert f'gateway_hot_case_reports{{case_id="{hot_case}",window="1h"}} 4.0' in metrics


WATER = "城乡建设/城市建设和市政管理/自来水供应"
STREETS = ["红卫路街道幸福小区", "冶金街道钢花新村", "新沟桥街道建设小区", "工人村街道青和居", "厂前街道红钢城小区"]


def test_many_cases_of_one_kind_in_one_district_rise_as_a_group(gateway, clock):
    start = clock.now
    # The hour before: one such case. This hour: five, each at its own place, so five separate cases.
    clock.now = start - timedelta(minutes=70)
    report(gateway, f"青山区{STREETS[0]}昨天停水了", "u-before")
    for i, place in enumerate(STREETS):
        clock.now = start + timedelta(minutes=i)
        gateway.post_app({"text": f"青山区{place}从早上开始停水，到现在还没来水", "category": WATER,
                          "contact": {"user_id": f"u-{i}"}})
    gateway.post_app({"text": "江夏区纸坊街道文化路停水了", "category": WATER, "contact": {"user_id": "u-x"}})
    gateway.drain()
    groups = hot(gateway).json["groups"]
    assert groups[0]["category"] == WATER and groups[0]["district"] == "青山区"
    assert groups[0]["cases"] >= 3 and groups[0]["reports_in_window"] == 5
    assert groups[0]["reports_before"] <= 1
    # One case in 江夏区 is no topic.
    assert [g for g in groups if g["district"] == "江夏区"] == []


# A made-up place name (no such place): the shape of a real incident, an outage named after one substation.
RARE_NAME = "蔺桉坊"
NAMED = ["青山区冶金街道{}变电站附近整栋楼停电了", "江岸区{}那边一直没电，冰箱里的东西都坏了",
         "洪山区{}停电三个小时了还没恢复", "武昌区{}片区突然断电，电梯里困了人",
         "汉阳区{}供电故障，家里老人需要吸氧", "江夏区{}周边小区大面积停电，请尽快抢修"]
COMMON = ["青山区红钢城小区路灯不亮", "江岸区后湖小区门口路灯坏了", "洪山区关山小区里路灯一到晚上就灭",
          "武昌区水果湖小区路灯一直闪", "汉阳区钟家村小区路灯倒了", "江夏区纸坊小区的路灯没人修"]


def test_separate_cases_sharing_a_rare_name_rise_as_a_term_group_and_common_words_do_not(operators, clock):
    gateway = operators
    start = clock.now
    refs = []
    for i, text in enumerate(NAMED):
        clock.now = start + timedelta(minutes=5 * i)
        refs.append(report(gateway, text.format(RARE_NAME), f"u-named-{i}"))
        report(gateway, COMMON[i], f"u-common-{i}")
    gateway.drain()
    named_cases = {case_of(gateway, ref) for ref in refs}
    assert len(named_cases) == 6   # six separate cases: no one case is hot, the shared name is the topic
    groups = hot(gateway).json["groups"]
    terms = [g for g in groups if g["kind"] == "term"]
    assert len(terms) == 1, terms
    group = terms[0]
    assert group["term"] in RARE_NAME and len(group["term"]) == 2
    assert group["cases"] == 6 and group["reports_in_window"] == 6 and group["reports_before"] == 0
    assert set(group["case_ids"]) == named_cases
    # Everyday words (路灯, 小区) shared by six other cases make no group; neither does a category × district pair.
    assert all(g["kind"] == "category_district" and "category" in g for g in groups if g is not group)
    html = signed_in(gateway, "wang").get("/console/hot").get_data(as_text=True)
    rows = html.split('<table id="hot-groups">')[1].split("</table>")[0]
    assert "共同词" in rows and f"“{group['term']}”" in rows
    assert all(f"/console/cases/{case_id}" in rows for case_id in named_cases)


def test_the_sweeper_prunes_counts_older_than_two_long_windows_and_keeps_the_rise(gateway, clock):
    from gateway.hot_prune import prune_hot_counts
    from gateway.tables import hot_buckets, hot_group_cases, hot_group_counts
    start = clock.now
    clock.now = start - timedelta(days=16)
    old = [report(gateway, NAMED[i].format(RARE_NAME), f"u-old-{i}") for i in range(3)]
    clock.now = start - timedelta(days=10)
    report(gateway, BURST, "u-before")
    clock.now = start
    burst_ref = report(gateway, BURST, "u-now")
    gateway.drain()
    engine = gateway.runtime.engine

    def buckets():
        with engine.connect() as conn:
            return {(r.case_id, r.bucket) for r in conn.execute(select(hot_buckets))}, \
                conn.execute(select(hot_group_counts.c.bucket)).scalars().all(), \
                conn.execute(select(hot_group_cases.c.case_id)).scalars().all()

    cutoff = int((start - timedelta(days=15)).timestamp())
    assert any(bucket < cutoff for _, bucket in buckets()[0]) and buckets()[2]
    assert prune_hot_counts(gateway.runtime, start) > 0
    cases_left, groups_left, members_left = buckets()
    assert cases_left and all(bucket >= cutoff for _, bucket in cases_left)
    assert groups_left and all(bucket >= cutoff for bucket in groups_left)
    assert not set(members_left) & {case_of(gateway, ref) for ref in old}
    # The 7d list still sees the report of ten days ago as the window before.
    [burst] = hot(gateway, "7d").json["cases"]
    assert burst["case_id"] == case_of(gateway, burst_ref)
    assert burst["reports_in_window"] == 1 and burst["reports_before"] == 1


def test_a_reports_terms_are_its_rare_bigrams_under_the_profile_threshold(gateway):
    from gateway import hot
    table, share = hot.frequencies_of(gateway.runtime.deduper), hot.term_max_share(gateway.runtime.settings)
    for text in COMMON + ["小区，路灯。"]:  # the last: the two words alone, no rarer bigram beside them
        terms = hot.report_terms(table, {"text": text}, None, share)
        assert "路灯" not in terms and "小区" not in terms
    named = [hot.report_terms(table, {"text": text.format(RARE_NAME)}, None, share) for text in NAMED]
    shared = set.intersection(*(set(t) for t in named))
    assert len(shared) == 1 and shared.pop() in RARE_NAME
