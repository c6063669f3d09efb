"""Prometheus metrics: request counters in this process; pipeline state read from the store at scrape time,
so the figures are right however many web and worker processes there are."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from gateway.hot_view import HotCollector
from gateway.notices import notice_counts
from gateway.runtime import Runtime
from gateway.supervision import overdue_counts
from gateway.tables import outbox, tickets

log = logging.getLogger(__name__)


class StoreCollector:
    """Tickets by status, events by outcome, queue depth and recent pipeline latency, from the store."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def collect(self):
        runtime = self.runtime
        try:
            with runtime.engine.connect() as conn:
                by_status = conn.execute(select(tickets.c.status, func.count()).group_by(tickets.c.status)).all()
                events = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
                due = conn.execute(select(func.count()).select_from(outbox).where(
                    outbox.c.status == "pending", outbox.c.next_attempt_at <= runtime.clock())).scalar()
                overdue = overdue_counts(conn)
                notice_states = notice_counts(conn)
                since = runtime.clock() - timedelta(minutes=5)
                spans = conn.execute(select(tickets.c.created_at, tickets.c.in_case_at)
                                     .where(tickets.c.in_case_at >= since)
                                     .order_by(tickets.c.in_case_at.desc()).limit(2000)).all()
        except Exception as exc:  # a scrape must not fail because the store blinked
            log.warning("metrics: store unavailable: %s", exc)
            return
        g = GaugeMetricFamily("gateway_tickets", "Tickets by status", labels=["status"])
        for status, count in by_status:
            g.add_metric([status], count)
        yield g
        d = GaugeMetricFamily("gateway_deliveries", "Case events by delivery outcome", labels=["outcome"])
        for status, count in events:
            d.add_metric([status], count)
        yield d
        o = GaugeMetricFamily("gateway_overdue_cases", "Open cases past their due date, by overdue level",
                              labels=["level"])
        for level, count in overdue:
            o.add_metric([str(level)], count)
        yield o
        n = GaugeMetricFamily("gateway_notices", "Notices to citizens by state", labels=["state"])
        for state, count in notice_states:
            n.add_metric([state], count)
        yield n
        depth = runtime.queue.depth()
        if depth is not None:
            yield GaugeMetricFamily("gateway_queue_depth", "Jobs waiting in the RQ queues", value=depth)
        totals = runtime.queue.pipeline_totals()
        for name, text in (("batches", "Pipeline batches committed"), ("tickets", "Tickets carried into cases"),
                           ("statements", "SQL statements of the pipeline's batches, BEGIN and COMMIT included")):
            yield CounterMetricFamily(f"gateway_pipeline_{name}", text, value=totals.get(name, 0))
        yield GaugeMetricFamily("gateway_pipeline_backlog", "Tickets waiting to be carried into a case",
                                value=sum(c for s, c in by_status if s in ("received", "normalized")))
        yield GaugeMetricFamily("gateway_outbox_due", "Case events due for the case system", value=due)
        seconds = sorted((b - a).total_seconds() for a, b in spans)
        lat = GaugeMetricFamily("gateway_pipeline_latency_seconds",
                                "Stored → in a case, over the last 5 minutes", labels=["quantile"])
        for q in (0.5, 0.99):
            lat.add_metric([str(q)], seconds[min(len(seconds) - 1, int(q * len(seconds)))] if seconds else 0.0)
        yield lat


class CachedCollector:
    """A store collector's figures kept for `seconds`: /metrics has no auth, and without this every scrape (or
    anyone hammering the URL) ran GROUP BY counts over whole tables. One scrape at a time recomputes; the others
    in that moment get its result."""

    def __init__(self, inner, runtime: Runtime, seconds: float):
        self.inner, self.runtime, self.seconds = inner, runtime, seconds
        self.lock = threading.Lock()
        self.families: list = []
        self.until = None

    def collect(self):
        with self.lock:
            now = self.runtime.clock()
            if self.until is None or now >= self.until:
                self.families = list(self.inner.collect())
                self.until = now + timedelta(seconds=self.seconds)
            return list(self.families)


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, runtime: Runtime):
        self.registry = CollectorRegistry()
        self.submissions = Counter("gateway_submissions", "Submissions by channel and outcome",
                                   ["channel", "outcome"], registry=self.registry)
        seconds = float(runtime.settings.section("metrics").get("cache_seconds", 5))
        self.registry.register(CachedCollector(StoreCollector(runtime), runtime, seconds))
        self.registry.register(CachedCollector(HotCollector(runtime), runtime, seconds))

    def submission(self, channel: str, outcome: str) -> None:
        """Count one submission (created, repeat, rejected …)."""
        self.submissions.labels(channel, outcome).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
