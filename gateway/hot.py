"""Hot cases: reports per case in sliding windows, kept as reports join, and `case.hot` once per ladder level.

Counts live in bucket rows (`hot_buckets`: per case, per minute and per hour of gateway receipt), upserted when a
report joins and moved when a supervisor moves reports, so a window's count is a short range read. Callers hold
the case's row lock (`add_event` takes it), which serializes the read-then-write of one case's summary row.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.engine import Connection

from gateway.bulk import any_of, insert_rows, update_rows
from gateway.events import add_event
from gateway.tables import hot_buckets, hot_cases, hot_group_cases, hot_group_counts, hot_groups, hot_levels, tickets
from gateway.upsert import insert_for

MINUTE, HOUR, DAY = 60, 3600, 86400
# The windows the hot list offers, in minutes; each has an upper-bound column in `hot_cases`.
WINDOWS = {"1h": 60, "24h": 1440, "7d": 10080}
# Groups count in coarser buckets (they are many rows per window): each window slides by its own span.
GROUP_SPANS = {"1h": MINUTE, "24h": HOUR, "7d": DAY}
DEFAULT_LEVELS = (5, 20, 100)
DEFAULT_WINDOW_MINUTES = 60
# A term group is a hot_groups row with this category and the term as its district (see gateway/tables.py).
TERM_CATEGORY = ""
# A character bigram is a rare term when at most this share of reports hold it (profile key [hot]
# term_max_share): far below everyday words (路灯, 小区 ~1e-3 by jieba's prior) and the trade's words (停水 ~7e-5),
# far above a place's or a substation's own name (~1e-7 and less).
DEFAULT_TERM_MAX_SHARE = 1e-5
TERMS_PER_REPORT = 3


def add_counts(conn: Connection, table, keys: Mapping[str, Any], **amounts: int) -> None:
    """Add `amounts` to the row at `keys`, creating it when missing (one statement, safe under concurrency)."""
    stmt = insert_for(conn, table).values(**keys, **amounts)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=list(keys), set_={name: getattr(table.c, name) + getattr(stmt.excluded, name)
                                         for name in amounts}))


def epoch(moment: datetime) -> int:
    """Unix seconds of an aware datetime."""
    return int(moment.timestamp())


def window_filter(minutes: int, until: int):
    """Bucket rows of the `minutes`-long window ending in the minute of `until` (unix seconds), to the minute.

    Whole hours inside the window come from hour rows, the ragged ends from minute rows.
    """
    last = until - until % MINUTE
    first = last - (minutes - 1) * MINUTE
    whole_from = -(-first // HOUR) * HOUR
    whole_to = (last + MINUTE) // HOUR * HOUR
    c = hot_buckets.c
    if whole_from >= whole_to:
        return and_(c.span == MINUTE, c.bucket >= first, c.bucket <= last)
    return or_(and_(c.span == MINUTE, c.bucket >= first, c.bucket < whole_from),
               and_(c.span == HOUR, c.bucket >= whole_from, c.bucket < whole_to),
               and_(c.span == MINUTE, c.bucket >= whole_to, c.bucket <= last))


def window_counts(conn: Connection, case_ids: Iterable[int], minutes: int, until: int) -> dict[int, int]:
    """Reports per case in the `minutes` window ending at `until` (cases without any are left out)."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = conn.execute(select(hot_buckets.c.case_id, func.sum(hot_buckets.c.reports))
                        .where(hot_buckets.c.case_id.in_(ids), window_filter(minutes, until))
                        .group_by(hot_buckets.c.case_id)).all()
    return {case_id: int(n) for case_id, n in rows if n}


def window_pairs(conn: Connection, case_ids: Iterable[int], minutes: int, until: int
                 ) -> dict[int, tuple[int, int]]:
    """(reports in the window ending at `until`, reports in the equal window just before) per case, one query."""
    ids = list(case_ids)
    if not ids:
        return {}
    now, before = window_filter(minutes, until), window_filter(minutes, until - minutes * MINUTE)
    n = hot_buckets.c.reports
    rows = conn.execute(select(hot_buckets.c.case_id, func.sum(case((now, n), else_=0)),
                               func.sum(case((before, n), else_=0)))
                        .where(hot_buckets.c.case_id.in_(ids), or_(now, before))
                        .group_by(hot_buckets.c.case_id)).all()
    return {case_id: (int(a or 0), int(b or 0)) for case_id, a, b in rows}


def case_windows(conn: Connection, case_id: int, until: int, extra_minutes: int | None = None) -> dict[str, int]:
    """One case's counts in every window (and in `extra_minutes`, the ladder's window, under "ladder")."""
    windows = dict(WINDOWS)
    if extra_minutes is not None:
        windows["ladder"] = extra_minutes
    sums = [func.coalesce(func.sum(case((window_filter(m, until), hot_buckets.c.reports), else_=0)), 0)
            for m in windows.values()]
    row = conn.execute(select(*sums).where(hot_buckets.c.case_id == case_id)).one()
    return {name: int(n) for name, n in zip(windows, row)}


def ladder(settings) -> tuple[list[int], int]:
    """The profile's hot levels (ascending) and their window in minutes."""
    section = settings.section("hot")
    levels = sorted({int(n) for n in section.get("levels", DEFAULT_LEVELS) if int(n) > 0})
    return levels, int(section.get("window_minutes", DEFAULT_WINDOW_MINUTES))


def case_facts(normalized: Mapping[str, Any] | None, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Title, district and category of a report, as the hot list shows them."""
    normalized = normalized or {}
    category = normalized.get("category") or {}
    title = normalized.get("title") or (data or {}).get("title")
    if not title:
        text = normalized.get("text") or (data or {}).get("text") or ""
        title = text[:40] or None
    return {"title": title, "district": normalized.get("district"),
            "category": category.get("path") or category.get("level1")}


def report_terms(frequencies, normalized: Mapping[str, Any] | None, data: Mapping[str, Any] | None,
                 max_share: float) -> list[str]:
    """A report's few rarest character bigrams whose document share under `frequencies` (a
    `dedupe.idf.DocumentFrequencies`) is at most `max_share`: the words a term group gathers cases by."""
    from dispatch.model import terms
    total = getattr(frequencies, "total", 0)
    if not total:
        return []
    normalized, data = normalized or {}, data or {}
    grams = terms(normalized.get("title") or data.get("title"), normalized.get("text") or data.get("text"))
    rare = sorted((frequencies.count(g) / total, g) for g in grams)
    picked: list[str] = []
    taken: set[str] = set()
    for share, gram in rare:
        if share > max_share or len(picked) >= TERMS_PER_REPORT:
            break
        # The bigrams of one name overlap (蔺桉, 桉坊) or border it (区蔺): the rarest stands for the name, and the
        # same table picks the same one in every report that holds the name.
        if taken.isdisjoint(gram):
            picked.append(gram)
            taken.update(gram)
    return picked


@lru_cache(maxsize=1)
def prior_frequencies():
    """Document frequencies from jieba's word frequencies alone, for a deduper that keeps no table (rules)."""
    from dedupe.idf import DocumentFrequencies, jieba_prior, prior_counts
    docs = 2000.0  # the scale only: shares do not depend on it
    prior, chars = jieba_prior()
    return DocumentFrequencies(prior_counts(prior, docs), docs, 1, {c: f * docs ** 0.5 for c, f in chars.items()})


def frequencies_of(deduper):
    """The deduper's live bigram table (fitted engine) or the jieba prior's."""
    table = getattr(deduper, "df", None)
    return table if table is not None and hasattr(table, "count") else prior_frequencies()


def term_max_share(settings) -> float:
    """The profile's [hot] term_max_share."""
    return float(settings.section("hot").get("term_max_share", DEFAULT_TERM_MAX_SHARE))


def _bucket_rows(received: Iterable[datetime]) -> Counter:
    counts: Counter = Counter()
    for moment in received:
        seconds = epoch(moment)
        counts[(MINUTE, seconds - seconds % MINUTE)] += 1
        counts[(HOUR, seconds - seconds % HOUR)] += 1
    return counts


def record_join(conn: Connection, settings, case_id: int, received_at: datetime, facts: Mapping[str, Any],
                opened: bool) -> list[int]:
    """Count one report (received by the gateway at `received_at`) into its case; returns the levels reached.

    Call inside the transaction that put the report in the case, after the case's row lock is taken.
    """
    for (span, bucket), n in _bucket_rows([received_at]).items():
        add_counts(conn, hot_buckets, {"case_id": case_id, "span": span, "bucket": bucket}, reports=n)
    levels, ladder_minutes = ladder(settings)
    at = epoch(received_at)
    counts = case_windows(conn, case_id, at, ladder_minutes)
    summary = conn.execute(select(hot_cases).where(hot_cases.c.case_id == case_id)).first()
    if summary is None:
        conn.execute(insert_for(conn, hot_cases).values(
            case_id=case_id, reports=1, first_at=received_at, last_at=received_at,
            **{k: v for k, v in facts.items() if k in ("title", "district", "category")},
            **{f"bound_{w}": counts[w] for w in WINDOWS}))
    else:
        newest = summary.last_at is None or received_at >= summary.last_at
        # A window's count can only fall as time passes without reports, so the count when the newest report
        # joined bounds every later count; a late-arriving older report can only add one to the old bound.
        bounds = {f"bound_{w}": counts[w] if newest else getattr(summary, f"bound_{w}") + 1 for w in WINDOWS}
        filled = {k: v for k, v in facts.items() if v and getattr(summary, k) is None}
        conn.execute(update(hot_cases).where(hot_cases.c.case_id == case_id).values(
            reports=hot_cases.c.reports + 1, last_at=received_at if newest else summary.last_at,
            first_at=min(summary.first_at or received_at, received_at), **bounds, **filled))
    _count_group(conn, facts, received_at, opened)
    return fire_levels(conn, case_id, levels, ladder_minutes, counts, received_at)


def group_window_start(window: str, until: int) -> int:
    """First bucket of a group window ending at `until`: the window slides by its bucket span."""
    span = GROUP_SPANS[window]
    return until - until % span - (WINDOWS[window] * MINUTE - span)


def group_pairs(conn: Connection, group_ids: list[int], window: str, until: int) -> dict[int, tuple[int, int, int]]:
    """(new cases, reports, reports in the window before) per group in the window ending at `until`."""
    if not group_ids:
        return {}
    c = hot_group_counts.c
    start = group_window_start(window, until)
    inside = c.bucket >= start
    among, ids = any_of(conn, c.group_id, group_ids, "group_ids")
    rows = conn.execute(
        select(c.group_id, func.sum(case((inside, c.cases), else_=0)), func.sum(case((inside, c.reports), else_=0)),
               func.sum(case((inside, 0), else_=c.reports)))
        .where(among, c.span == GROUP_SPANS[window],
               c.bucket >= start - WINDOWS[window] * MINUTE, c.bucket <= until)
        .group_by(c.group_id), ids).all()
    return {r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in rows}


def _group_id(conn: Connection, key: Mapping[str, str], opened_at: datetime | None) -> int:
    """The group's id, its row made when missing; an opening also moves `last_at` and takes the row's lock, which
    serializes the group's openings so the count read after it sees every earlier one."""
    where = and_(hot_groups.c.category == key["category"], hot_groups.c.district == key["district"])
    if opened_at is None:
        found = conn.execute(select(hot_groups.c.id).where(where)).scalar()
        if found is not None:
            return found
    stmt = insert_for(conn, hot_groups).values(**key, last_at=opened_at, bound_1h=0, bound_24h=0, bound_7d=0)
    if opened_at is None:
        conn.execute(stmt.on_conflict_do_nothing())
    else:
        conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_={"last_at": case(
            (or_(hot_groups.c.last_at.is_(None), hot_groups.c.last_at < stmt.excluded.last_at),
             stmt.excluded.last_at), else_=hot_groups.c.last_at)}))
    return conn.execute(select(hot_groups.c.id).where(where)).scalar_one()


def _count_group(conn: Connection, facts: Mapping[str, Any], received_at: datetime, opened: bool) -> None:
    if not facts.get("category") or not facts.get("district"):
        return  # a topic is a kind of problem at a place: without both it belongs to no group
    key = {"category": facts["category"][:200], "district": facts["district"][:50]}
    group_id = _group_id(conn, key, received_at if opened else None)
    seconds = epoch(received_at)
    for span in set(GROUP_SPANS.values()):
        add_counts(conn, hot_group_counts, {"group_id": group_id, "span": span, "bucket": seconds - seconds % span},
                   reports=1, cases=1 if opened else 0)
    if opened:
        newest = epoch(conn.execute(select(hot_groups.c.last_at).where(hot_groups.c.id == group_id)).scalar_one())
        # The new-case count when the group's newest case opened bounds every later count of each window.
        bounds = {f"bound_{w}": group_pairs(conn, [group_id], w, newest).get(group_id, (0, 0, 0))[0]
                  for w in WINDOWS}
        conn.execute(update(hot_groups).where(hot_groups.c.id == group_id).values(**bounds))


def fire_levels(conn: Connection, case_id: int, levels: list[int], ladder_minutes: int, counts: dict[str, int],
                at: datetime) -> list[int]:
    """Send `case.hot` for each level the ladder window's count reached that the case had not reached before."""
    reached = []
    for level in levels:
        if counts["ladder"] < level:
            break
        claimed = conn.execute(insert_for(conn, hot_levels).values(
            case_id=case_id, level=level, reports_in_window=counts["ladder"], reached_at=at)
            .on_conflict_do_nothing().returning(hot_levels.c.level)).first()
        if claimed is None:
            continue  # this level went out before: once per (case, level)
        reached.append(level)
        add_event(conn, case_id, "case.hot", None, {"hot": {
            "level": level, "reports_in_window": counts["ladder"], "window": ladder_minutes,
            "counts": {w: counts[w] for w in WINDOWS}}})
    return reached


def _refresh_summary(conn: Connection, case_id: int, now: datetime, facts: Mapping[str, Any] | None) -> None:
    """Recompute a case's summary from its reports after reports moved in or out (rare: supervisors' acts)."""
    row = conn.execute(select(func.count(), func.min(tickets.c.created_at), func.max(tickets.c.created_at))
                       .where(tickets.c.case_id == case_id)).one()
    if not row[0]:
        conn.execute(delete(hot_cases).where(hot_cases.c.case_id == case_id))
        return
    counts = case_windows(conn, case_id, epoch(now))
    values = {"reports": row[0], "first_at": row[1], "last_at": row[2],
              **{f"bound_{w}": counts[w] for w in WINDOWS}}
    if conn.execute(select(hot_cases.c.case_id).where(hot_cases.c.case_id == case_id)).first() is None:
        conn.execute(insert_for(conn, hot_cases).values(case_id=case_id, **values, **(facts or {})))
    else:
        conn.execute(update(hot_cases).where(hot_cases.c.case_id == case_id).values(**values))


def move_reports(conn: Connection, settings, ticket_ids: list[int], from_case: int, to_case: int, now: datetime,
                 facts: Mapping[str, Any] | None = None) -> list[int]:
    """The counts follow reports a supervisor moved (unmerge, forced merge); returns levels `to_case` reached.

    Call after the tickets point at `to_case`. `facts` describe `to_case` when it is new.
    """
    received = [r.created_at for r in conn.execute(select(tickets.c.created_at)
                                                   .where(tickets.c.id.in_(ticket_ids)))]
    for (span, bucket), n in _bucket_rows(received).items():
        key = and_(hot_buckets.c.case_id == from_case, hot_buckets.c.span == span, hot_buckets.c.bucket == bucket)
        conn.execute(update(hot_buckets).where(key).values(reports=hot_buckets.c.reports - n))
        conn.execute(delete(hot_buckets).where(key, hot_buckets.c.reports <= 0))
        add_counts(conn, hot_buckets, {"case_id": to_case, "span": span, "bucket": bucket}, reports=n)
    _refresh_summary(conn, from_case, now, None)
    _refresh_summary(conn, to_case, now, facts)
    levels, ladder_minutes = ladder(settings)
    return fire_levels(conn, to_case, levels, ladder_minutes,
                       case_windows(conn, to_case, epoch(now), ladder_minutes), now)


def utc_from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def record_joins(conn: Connection, settings, joins: list[tuple[int, datetime, Mapping[str, Any], bool]]) -> None:
    """`record_join` for a batch of reports (case id, gateway receipt, facts, opened), in order, with one statement
    per table: the buckets, the windows of the batch's cases, their summaries, the topic groups, and (only when a
    case reached a level) the levels. A case's counts and the levels it reaches are those after its last report of
    the batch. Call after the cases' row locks are taken, as for `record_join`.
    """
    if not joins:
        return
    buckets: Counter = Counter()
    groups: dict[tuple[str, str], list[tuple[datetime, bool, int]]] = {}
    per_case: dict[int, list[tuple[datetime, Mapping[str, Any]]]] = {}
    for case_id, received_at, facts, opened in joins:
        for (span, bucket), n in _bucket_rows([received_at]).items():
            buckets[(case_id, span, bucket)] += n
        per_case.setdefault(case_id, []).append((received_at, facts))
        if facts.get("category") and facts.get("district"):
            # A topic is a kind of problem at a place: without both a report belongs to no group.
            groups.setdefault((facts["category"][:200], facts["district"][:50]), []).append(
                (received_at, opened, case_id))
        for term in facts.get("terms") or ():
            groups.setdefault((TERM_CATEGORY, term[:50]), []).append((received_at, opened, case_id))
    # Each write is one statement with the batch's rows as one parameter (gateway.bulk), sorted: two workers
    # upserting at once take the rows' locks in one order.
    stmt, params = insert_rows(conn, hot_buckets, [{"case_id": c, "span": s, "bucket": b, "reports": n}
                                                   for (c, s, b), n in sorted(buckets.items())])
    conn.execute(stmt.on_conflict_do_update(index_elements=["case_id", "span", "bucket"], set_={
        "reports": hot_buckets.c.reports + stmt.excluded.reports}), params)
    levels, ladder_minutes = ladder(settings)
    windows = dict(WINDOWS, ladder=ladder_minutes)
    # Each case's windows end at its newest report of the batch; one read per distinct minute (mostly one).
    until_of = {case_id: epoch(max(r for r, _ in reports)) for case_id, reports in per_case.items()}
    counts_of: dict[int, dict[str, int]] = {}
    by_minute: dict[int, list[int]] = {}
    for case_id, until in until_of.items():
        by_minute.setdefault(until // MINUTE, []).append(case_id)
    for minute, case_ids in by_minute.items():
        until = minute * MINUTE
        sums = [func.coalesce(func.sum(case((window_filter(m, until), hot_buckets.c.reports), else_=0)), 0)
                for m in windows.values()]
        among, ids = any_of(conn, hot_buckets.c.case_id, case_ids, "case_ids")
        for row in conn.execute(select(hot_buckets.c.case_id, *sums).where(among).group_by(hot_buckets.c.case_id),
                                ids):
            counts_of[row[0]] = {name: int(n) for name, n in zip(windows, row[1:])}
    among, ids = any_of(conn, hot_cases.c.case_id, list(per_case), "case_ids")
    summaries = {r.case_id: r for r in conn.execute(select(hot_cases).where(among), ids)}
    inserts, updates = [], []
    for case_id, reports in per_case.items():
        counts = counts_of.get(case_id, {name: 0 for name in windows})
        newest, oldest = max(r for r, _ in reports), min(r for r, _ in reports)
        facts = {}
        for _, f in reports:  # the first report that tells a fact gives it (as one join after another would)
            for k in ("title", "district", "category"):
                if f.get(k) and k not in facts:
                    facts[k] = f[k]
        summary = summaries.get(case_id)
        if summary is None:
            inserts.append({"case_id": case_id, "reports": len(reports), "first_at": oldest, "last_at": newest,
                            "title": facts.get("title"), "district": facts.get("district"),
                            "category": facts.get("category"), **{f"bound_{w}": counts[w] for w in WINDOWS}})
            continue
        is_newest = summary.last_at is None or newest >= summary.last_at
        bounds = {f"bound_{w}": counts[w] if is_newest else getattr(summary, f"bound_{w}") + len(reports)
                  for w in WINDOWS}
        updates.append({"case_id": case_id, "reports": summary.reports + len(reports),
                        "last_at": newest if is_newest else summary.last_at,
                        "first_at": min(summary.first_at or oldest, oldest), **bounds,
                        **{k: getattr(summary, k) or facts.get(k) for k in ("title", "district", "category")}})
    if inserts:
        conn.execute(*insert_rows(conn, hot_cases, inserts))
    if updates:
        update_rows(conn, hot_cases, updates, key="case_id")
    if groups:
        _count_groups(conn, groups)
    reaching = {c: n for c, n in counts_of.items() if levels and n["ladder"] >= levels[0]}
    for case_id, counts in sorted(reaching.items()):
        fire_levels(conn, case_id, levels, ladder_minutes, counts, max(r for r, _ in per_case[case_id]))


def _count_groups(conn: Connection, groups: dict[tuple[str, str], list[tuple[datetime, bool, int]]]) -> None:
    """`_count_group` for a batch: the groups' rows (made when missing; an opening moves `last_at` and takes the
    row's lock), their counts, the cases term groups hold, and the new-case bounds of the groups that had an
    opening, in a few statements."""
    openings = {key: max((r for r, opened, _ in reports if opened), default=None) for key, reports in groups.items()}
    stmt, params = insert_rows(conn, hot_groups, [
        {"category": c, "district": d, "last_at": openings[(c, d)], "bound_1h": 0, "bound_24h": 0, "bound_7d": 0}
        for c, d in sorted(groups)])
    rows = conn.execute(stmt.on_conflict_do_update(index_elements=["category", "district"], set_={"last_at": case(
        (or_(hot_groups.c.last_at.is_(None), hot_groups.c.last_at < stmt.excluded.last_at), stmt.excluded.last_at),
        else_=hot_groups.c.last_at)}).returning(hot_groups.c.id, hot_groups.c.category, hot_groups.c.district,
                                                 hot_groups.c.last_at), params).all()
    ids = {(r.category, r.district): r.id for r in rows}
    counts: dict[tuple[int, int, int], list[int]] = {}
    for key, reports in groups.items():
        for received_at, opened, _ in reports:
            seconds = epoch(received_at)
            for span in set(GROUP_SPANS.values()):
                row = counts.setdefault((ids[key], span, seconds - seconds % span), [0, 0])
                row[0] += 1
                row[1] += 1 if opened else 0
    stmt, params = insert_rows(conn, hot_group_counts, [
        {"group_id": g, "span": s, "bucket": b, "reports": n, "cases": k} for (g, s, b), (n, k) in sorted(counts.items())])
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["group_id", "span", "bucket"],
        set_={"reports": hot_group_counts.c.reports + stmt.excluded.reports,
              "cases": hot_group_counts.c.cases + stmt.excluded.cases}), params)
    members = {(ids[key], case_id): received_at for key, reports in groups.items() if key[0] == TERM_CATEGORY
               for received_at, opened, case_id in reports if opened}
    if members:
        stmt, params = insert_rows(conn, hot_group_cases, [
            {"group_id": g, "case_id": c, "opened_at": at} for (g, c), at in sorted(members.items())])
        conn.execute(stmt.on_conflict_do_nothing(), params)
    # The new-case count when a group's newest case opened bounds every later count of each window. A window's
    # count depends on its end only to its bucket span, so the groups are read together per window and bucket.
    opened = {r.id: epoch(r.last_at) for r in rows if openings[(r.category, r.district)] is not None}
    if not opened:
        return
    bounds: dict[int, dict[str, Any]] = {g: {"id": g} for g in opened}
    for window in WINDOWS:
        span = GROUP_SPANS[window]
        by_end: dict[int, list[int]] = {}
        for g, newest in opened.items():
            by_end.setdefault(newest - newest % span, []).append(g)
        for end, group_ids in by_end.items():
            found = group_pairs(conn, group_ids, window, end)
            for g in group_ids:
                bounds[g][f"bound_{window}"] = found.get(g, (0, 0, 0))[0]
    update_rows(conn, hot_groups, [bounds[g] for g in sorted(bounds)])
