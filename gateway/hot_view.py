"""The hot list: cases ranked by reports in a window, with the window before, and the rising groups.

No scan on the request path: candidates are read in the order of their upper bound (`hot_cases.bound_<w>`, the
count when their newest report joined) and exact counts are taken for a page of them at a time, stopping as soon
as no unread case can beat the list's last entry (the threshold algorithm).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from gateway import hot
from gateway.runtime import Runtime
from gateway.tables import hot_cases, hot_group_buckets

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
DEFAULT_GROUP_MIN_CASES = 3


def _ranked_cases(conn, window: str, until: int, limit: int) -> list[tuple[int, int]]:
    """(case_id, reports in window) of the `limit` hottest cases, most reports first (newest case on ties)."""
    minutes = hot.WINDOWS[window]
    bound = getattr(hot_cases.c, f"bound_{window}")
    since = hot.utc_from_epoch(until - until % hot.MINUTE - (minutes - 1) * hot.MINUTE)
    page = max(2 * limit, 100)
    best: list[tuple[int, int]] = []
    after: tuple[int, int] | None = None
    while True:
        query = (select(hot_cases.c.case_id, bound).where(bound > 0, hot_cases.c.last_at >= since)
                 .order_by(bound.desc(), hot_cases.c.case_id.desc()).limit(page))
        if after is not None:
            query = query.where(or_(bound < after[0], and_(bound == after[0], hot_cases.c.case_id < after[1])))
        rows = conn.execute(query).all()
        counts = hot.window_counts(conn, [r.case_id for r in rows], minutes, until)
        best = sorted(best + list(counts.items()), key=lambda item: (-item[1], -item[0]))[:limit]
        if len(rows) < page or (len(best) == limit and best[-1][1] >= rows[-1][1]):
            return best
        after = (rows[-1][1], rows[-1].case_id)


def _groups(conn, window: str, until: int, min_cases: int, limit: int) -> list[dict[str, Any]]:
    """Category × district groups with at least `min_cases` new cases in the window that rose over the one before."""
    span, minutes = hot.GROUP_SPANS[window], hot.WINDOWS[window]
    start = until - until % span - (minutes * 60 - span)     # the window slides by its span
    before = start - minutes * 60
    c = hot_group_buckets.c
    inside = and_(c.bucket >= start)
    rows = conn.execute(
        select(c.category, c.district,
               func.sum(func.coalesce(c.cases, 0)).filter(inside).label("cases"),
               func.sum(c.reports).filter(inside).label("now"),
               func.sum(c.reports).filter(c.bucket < start).label("before"))
        .where(c.span == span, c.bucket >= before, c.bucket <= until)
        .group_by(c.category, c.district)).all()
    groups = [{"category": r.category, "district": r.district, "cases": int(r.cases or 0),
               "reports_in_window": int(r.now or 0), "reports_before": int(r.before or 0)} for r in rows]
    rising = [g for g in groups if g["cases"] >= min_cases and g["reports_in_window"] > g["reports_before"]]
    rising.sort(key=lambda g: (-g["cases"], -(g["reports_in_window"] - g["reports_before"]), g["category"]))
    return rising[:limit]


def hot_list(runtime: Runtime, window: str, limit: int = DEFAULT_LIMIT, now: datetime | None = None
             ) -> dict[str, Any]:
    """The API's and the console's hot list for one window ("1h", "24h" or "7d")."""
    until = hot.epoch(now or runtime.clock())
    minutes = hot.WINDOWS[window]
    section = runtime.settings.section("hot")
    with runtime.engine.connect() as conn:
        ranked = _ranked_cases(conn, window, until, limit)
        ids = [case_id for case_id, _ in ranked]
        before = hot.window_counts(conn, ids, minutes, until - minutes * 60)
        facts = {r.case_id: r for r in conn.execute(select(hot_cases).where(hot_cases.c.case_id.in_(ids)))} \
            if ids else {}
        groups = _groups(conn, window, until, int(section.get("group_min_cases", DEFAULT_GROUP_MIN_CASES)), limit)
    cases = []
    for case_id, count in ranked:
        row = facts[case_id]
        cases.append({"case_id": case_id, "reports_in_window": count, "reports_before": before.get(case_id, 0),
                      "reports_total": row.reports, "title": row.title, "district": row.district,
                      "category": row.category, "first_at": _iso(row.first_at), "last_at": _iso(row.last_at)})
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
