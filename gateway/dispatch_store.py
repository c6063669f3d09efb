"""Dispatch suggestions in the gateway: the learned counts in the store, the suggestion a new case carries, and
learning from the case system's `assigned` updates (a reassignment moves the case's counts to the new unit)."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from dispatch import DispatchConfig, RoutingTable, case_features, learned_features, predict
from gateway.bulk import any_of
from gateway.hot import add_counts, case_facts
from gateway.tables import dispatch_counts, dispatch_learned, tickets
from gateway.upsert import insert_for

log = logging.getLogger(__name__)
TOTAL = ""   # the `unit` of a feature's total row


class StoreCounts:
    """`dispatch.Counts` read from `dispatch_counts` on one connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def totals(self, features: list[str]) -> dict[str, int]:
        if not features:
            return {}
        c = dispatch_counts.c
        among, params = any_of(self.conn, c.feature, features, "features")
        rows = self.conn.execute(select(c.feature, c.cases).where(c.unit == TOTAL, among), params)
        return {feature: n for feature, n in rows}

    def units(self, features: list[str]) -> dict[str, dict[str, int]]:
        c = dispatch_counts.c
        out: dict[str, dict[str, int]] = {}
        among, params = any_of(self.conn, c.feature, features, "features")
        for feature, unit, n in self.conn.execute(select(c.feature, c.unit, c.cases)
                                                  .where(among, c.unit != TOTAL, c.cases > 0), params):
            out.setdefault(feature, {})[unit] = n
        return out


def features_of(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """The dispatch features of a stored ticket (its wire format)."""
    normalized = data.get("normalized") or {}
    facts = case_facts(normalized, data)
    return case_features(facts["category"], facts["district"], normalized.get("title") or data.get("title"),
                         normalized.get("text") or data.get("text"))


def suggested_unit(conn: Connection, profile: Mapping[str, Any], data: Mapping[str, Any], counts=None) -> dict | None:
    """`case.suggested_unit` for a case opened by this ticket: {name, score, basis} or None.

    `counts` (default: read from the store on `conn`) lets the pipeline read a whole batch's counts at once."""
    try:
        facts = case_facts(data.get("normalized"), data)
        table = RoutingTable.from_profile(profile).units(facts["category"], facts["district"])
        prediction = predict(counts or StoreCounts(conn), table, features_of(data),
                             DispatchConfig.from_profile(profile))
    except Exception:  # a suggestion is a hint: never let it stop a case from opening
        log.exception("dispatch suggestion failed; the case opens without one")
        return None
    return prediction.combined[0].as_dict() if prediction.combined else None


def _count(conn: Connection, features: list[str], unit: str, step: int) -> None:
    for feature in features:
        for who in (unit, TOTAL):
            add_counts(conn, dispatch_counts, {"feature": feature[:300], "unit": who[:200]}, cases=step)


def learn_assignment(conn: Connection, case_id: int, unit: str | None, now) -> None:
    """Count the unit that took the case (an `assigned` update); a later reassignment moves the count."""
    unit = (unit or "").strip()[:200]
    if not unit:
        return
    before = conn.execute(select(dispatch_learned).where(dispatch_learned.c.case_id == case_id)).first()
    if before is not None and before.unit == unit:
        return
    if before is not None:
        _count(conn, list(before.features), before.unit, -1)
        features = list(before.features)
    else:
        first = conn.execute(select(tickets.c.data).where(tickets.c.case_id == case_id)
                             .order_by(tickets.c.id).limit(1)).first()
        if first is None:
            return
        features = learned_features(features_of(first.data))
    _count(conn, features, unit, +1)
    if before is None:
        conn.execute(insert_for(conn, dispatch_learned).values(case_id=case_id, unit=unit, features=features,
                                                               learned_at=now))
    else:
        conn.execute(update(dispatch_learned).where(dispatch_learned.c.case_id == case_id)
                     .values(unit=unit, learned_at=now))
