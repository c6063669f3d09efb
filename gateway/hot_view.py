"""The hot list: cases ranked by reports in a window, with the window before, and the rising groups.

No scan on the request path: candidates are read in the order of their upper bound (`hot_cases.bound_<w>`, the
count when their newest report joined) and exact counts are taken for a page of them at a time, stopping as soon
as no unread case can beat the list's last entry (the threshold algorithm).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from gateway import hot
from gateway.runtime import Runtime
from gateway.tables import hot_cases, hot_group_cases, hot_groups

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
MAX_PAGES = 20
DEFAULT_GROUP_MIN_CASES = 3
# A term group lists its newest cases of the window, up to this many.
GROUP_CASES_LISTED = 20


def _ranked_cases(conn, window: str, until: int, limit: int) -> list[tuple[Any, int, int]]:
    """(hot_cases row, reports in window, reports in the window before) of the `limit` hottest cases, most
    reports first (newest case on ties)."""
    minutes = hot.WINDOWS[window]
    bound = getattr(hot_cases.c, f"bound_{window}")
    since = hot.utc_from_epoch(until - until % hot.MINUTE - (minutes - 1) * hot.MINUTE)
    page = max(2 * limit, 100)
    best: list[tuple[Any, int, int]] = []
    after: tuple[int, int] | None = None
    for _ in range(MAX_PAGES):
        query = (select(hot_cases).where(bound > 0, hot_cases.c.last_at >= since)
                 .order_by(bound.desc(), hot_cases.c.case_id.desc()).limit(page))
        if after is not None:
            query = query.where(or_(bound < after[0], and_(bound == after[0], hot_cases.c.case_id < after[1])))
        rows = conn.execute(query).all()
        counts = hot.window_pairs(conn, [r.case_id for r in rows], minutes, until)
        found = [(r, *counts[r.case_id]) for r in rows if counts.get(r.case_id, (0, 0))[0] > 0]
        best = sorted(best + found, key=lambda item: (-item[1], -item[0].case_id))[:limit]
        last_bound = getattr(rows[-1], f"bound_{window}") if rows else 0
        if len(rows) < page or (len(best) == limit and best[-1][1] >= last_bound):
            return best
        after = (last_bound, rows[-1].case_id)
    return best   # a bounded walk: after MAX_PAGES pages the list is the best of what was read


def _groups(conn, window: str, until: int, min_cases: int, limit: int) -> list[dict[str, Any]]:
    """Category × district and term groups with at least `min_cases` new cases in the window and more reports than in the
    window before, most new cases first. Only the `3 × limit` groups with the highest bounds are weighed: a group's
    bound outlives its burst and groups are many with few cases each, so a full walk would buy little."""
    bound = getattr(hot_groups.c, f"bound_{window}")
    since = hot.utc_from_epoch(hot.group_window_start(window, until))
    rows = conn.execute(select(hot_groups.c.id, hot_groups.c.category, hot_groups.c.district)
                        .where(bound >= min_cases, hot_groups.c.last_at >= since)
                        .order_by(bound.desc(), hot_groups.c.id).limit(max(3 * limit, 100))).all()
    counts = hot.group_pairs(conn, [r.id for r in rows], window, until)
    rising = []
    for row in rows:
        cases, now, before = counts.get(row.id, (0, 0, 0))
        if cases >= min_cases and now > before:
            if row.category == hot.TERM_CATEGORY:
                entry = {"kind": "term", "term": row.district, "_id": row.id}
            else:
                entry = {"kind": "category_district", "category": row.category, "district": row.district}
            rising.append({**entry, "cases": cases, "reports_in_window": now, "reports_before": before})
    rising.sort(key=lambda g: (-g["cases"], -(g["reports_in_window"] - g["reports_before"]), g["kind"],
                               g.get("term") or g["category"], g.get("district") or ""))
    rising = rising[:limit]
    term_ids = [g["_id"] for g in rising if "_id" in g]
    if term_ids:
        listed: dict[int, list[int]] = {}
        c = hot_group_cases.c
        for group_id, case_id in conn.execute(select(c.group_id, c.case_id).where(c.group_id.in_(term_ids),
                                                                                  c.opened_at >= since)
                                              .order_by(c.group_id, c.opened_at.desc(), c.case_id.desc())):
            ids = listed.setdefault(group_id, [])
            if len(ids) < GROUP_CASES_LISTED:
                ids.append(case_id)
        for g in rising:
            if "_id" in g:
                g["case_ids"] = listed.get(g.pop("_id"), [])
    return rising


def hot_list(runtime: Runtime, window: str, limit: int = DEFAULT_LIMIT, now: datetime | None = None
             ) -> dict[str, Any]:
    """The API's and the console's hot list for one window ("1h", "24h" or "7d")."""
    until = hot.epoch(now or runtime.clock())
    section = runtime.settings.section("hot")
    with runtime.engine.connect() as conn:
        ranked = _ranked_cases(conn, window, until, limit)
        groups = _groups(conn, window, until, int(section.get("group_min_cases", DEFAULT_GROUP_MIN_CASES)), limit)
    cases = [{"case_id": row.case_id, "reports_in_window": count, "reports_before": before,
              "reports_total": row.reports, "title": row.title, "district": row.district, "category": row.category,
              "first_at": _iso(row.first_at), "last_at": _iso(row.last_at)} for row, count, before in ranked]
    return {"window": window, "cases": cases, "groups": groups}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class HotCollector:
    """Prometheus: reports in each window of the hottest cases (`gateway_hot_case_reports{case_id, window}`)."""

    TOP = 10

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        gauge = GaugeMetricFamily("gateway_hot_case_reports", "Reports in the window of the hottest cases",
                                  labels=["case_id", "window"])
        for window in hot.WINDOWS:
            try:
                listing = hot_list(self.runtime, window, self.TOP)
            except Exception as exc:  # a scrape must not fail because the store blinked
                log.warning("metrics: hot list unavailable: %s", exc)
                return
            for row in listing["cases"]:
                gauge.add_metric([str(row["case_id"]), window], row["reports_in_window"])
        yield gauge
