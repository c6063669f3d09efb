"""Pipeline stage 2: a new case or the case each report joins (`normalized` → `in_case`), with its event."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from dedupe.types import Decision
from dispatch import learned_features
from gateway import hot
from gateway.bulk import insert_rows, update_rows
from gateway.dedupe_index import DEFAULT_LOCK_WAIT_MS, BatchIndex, lock_all_keys, read_postings
from gateway.dispatch_store import StoreCounts, features_of, suggested_unit
from gateway.events import add_report_events
from gateway.runtime import Runtime
from gateway.supervision import batch_case_dues
from gateway.tables import case_links, cases, tickets
from normalizer.ticket import Ticket

log = logging.getLogger(__name__)


def _live_case(conn, case_id: int) -> int:
    # A case absorbed by a forced merge sends its newcomers to the case that absorbed it.
    for _ in range(20):
        merged_into = conn.execute(select(cases.c.merged_into).where(cases.c.id == case_id)).scalar()
        if merged_into is None:
            return case_id
        case_id = merged_into
    return case_id


def _operator_decision(conn, ticket) -> tuple[Decision, str] | None:
    """An operator's own decision, taken while receiving the report (the hotline's `attach_to_case`), and who took it.

    It replaces the deduper's decision. A case id that does not exist (intake refuses those) falls back to dedupe
    rather than losing the report.
    """
    extra = ticket.extra if isinstance(ticket.extra, dict) else {}
    case_id = extra.get("attach_to_case")
    if type(case_id) is not int:
        return None
    if conn.execute(select(cases.c.id).where(cases.c.id == case_id)).first() is None:
        log.warning("ticket %s: attach_to_case %s does not exist; dedupe decides", ticket.reference, case_id)
        return None
    by = str(extra.get("attached_by") or extra.get("agent_id") or extra.get("entered_by") or "operator")[:100]
    return Decision(case_id, None, {"rule": "attached by operator", "by": by, "case_id": case_id}), by


class BatchCounts:
    """The dispatch counts of every feature of a batch's new cases, read once (two statements), served as
    `StoreCounts` would serve them."""

    def __init__(self, conn: Connection, features: list[str]):
        wanted = sorted(set(features))
        store = StoreCounts(conn)
        self._totals = store.totals(wanted) if wanted else {}
        self._units = store.units(wanted) if wanted else {}

    def totals(self, features: list[str]) -> dict[str, int]:
        return {f: self._totals[f] for f in features if f in self._totals}

    def units(self, features: list[str]) -> dict[str, dict[str, int]]:
        return {f: self._units[f] for f in features if f in self._units}


def open_cases(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the batch's new cases; their ids, in the order of `rows`."""
    if conn.dialect.name != "postgresql":
        return conn.execute(insert(cases).returning(cases.c.id, sort_by_parameter_order=True), rows).scalars().all()
    # The rows go in in the list's order, and the id sequence counts up as they go: the ids sorted are the rows'.
    statement, params = insert_rows(conn, cases, rows)
    return sorted(conn.execute(statement.returning(cases.c.id), params).scalars())


@dataclass
class Keyed:
    """A report as dedupe files and searches it: its fingerprint, its bigrams (for the frequency table), the keys it
    is filed under, the keys it searches by, and the dedupe locks its decision takes (both)."""

    fingerprint: dict[str, Any]
    grams: Any
    keys: list[str]
    query: list[str]

    @property
    def locks(self) -> set[str]:
        return set(self.keys) | set(self.query)


def key_reports(deduper, batch_tickets: list[Ticket]) -> list[Keyed]:
    keyed = []
    for ticket in batch_tickets:
        if hasattr(deduper, "analyse"):
            fingerprint, grams = deduper.analyse(ticket)
        else:
            fingerprint, grams = deduper.fingerprint(ticket), None
        keys = deduper.blocking_keys(fingerprint)
        # A report is filed under its keys and searches by wider ones (dedupe: reading a key is cheap, filing under
        # one is a posting row); locking both serializes any two decisions that could find each other.
        query = deduper.query_keys(fingerprint) if hasattr(deduper, "query_keys") else keys
        keyed.append(Keyed(fingerprint, grams, keys, query))
    return keyed


def within_lock_budget(keyed: list[Keyed], budget: int) -> int:
    """How many of the batch's first reports to decide in one transaction so that their dedupe locks stay within
    `budget` (at least one report, whatever its keys).

    PostgreSQL keeps every advisory lock of every session in one shared table of about max_locks_per_transaction ×
    max_connections entries (64 × 100 on the defaults; a little more fits in practice). A batch of 100 long
    reports takes about 4,000 locks, so three or four workers at once would fill it, and then any session that needs
    a lock entry fails with "out of shared memory". The rest of the claimed batch is left
    ready (its row locks end with the transaction) for the next claim.
    """
    held: set[str] = set()
    for count, keyed_one in enumerate(keyed):
        new = keyed_one.locks - held
        if count and len(held) + len(new) > budget:
            return count
        held |= new
    return len(keyed)


@dataclass
class Placed:
    """A report of the batch, in its case."""

    ticket_id: int
    case_id: int
    urgent: bool


def _score_all(deduper, batch: list[tuple[Any, Ticket, bool]], keyed: list[Keyed], index: BatchIndex
               ) -> list[dict[int, float]]:
    """Each report's candidates' log-odds (by report id), each report added to `index` as it goes, as `_decide_all`
    adds it (its case is not known here, nor needed: a log-odds does not read the candidate's case)."""
    logits: list[dict[int, float]] = []
    for (row, ticket, _), keyed_one in zip(batch, keyed):
        logits.append({})
        deduper.score(keyed_one.fingerprint, ticket.received_at, index.candidates(keyed_one.query), logits[-1])
        index.add(ticket_id=row.id, case_id=-row.id, received_at=ticket.received_at, keys=keyed_one.keys,
                  fingerprint=keyed_one.fingerprint)
    return logits


def _decide_all(conn: Connection, deduper, batch: list[tuple[Any, Ticket, bool]], keyed: list[Keyed],
                index: BatchIndex, logits: list[dict[int, float]] | None
                ) -> tuple[list[tuple[Any, Ticket, bool, Decision, str, str]], list[tuple[int, bool]]]:
    """Each report's decision, in order, each report added to `index` as it is decided (so later ones meet it):
    (row, ticket, urgent, decision, action, actor) per report, and the (placeholder, urgent) of the cases opened."""
    new_cases: list[tuple[int, bool]] = []   # (placeholder, urgent) of the cases this batch opens
    decided = []
    for at, ((row, ticket, urgent), keyed_one) in enumerate(zip(batch, keyed)):
        decision, actor = _operator_decision(conn, ticket) or (None, "dedupe")
        if decision is not None:
            decision.case_id = _live_case(conn, decision.case_id)
        else:
            scored = {} if logits is None else {"logits": logits[at]}   # what the first pass scored, on PostgreSQL
            decision = deduper.decide(keyed_one.fingerprint, ticket.received_at, index.candidates(keyed_one.query),
                                      **scored)
        if decision.case_id is None:
            # Cases of this batch have negative placeholders until the INSERT gives them ids.
            decision.case_id = -(len(new_cases) + 1)
            new_cases.append((decision.case_id, urgent))
            action = "opened"
        else:
            action = "joined"
        index.add(ticket_id=row.id, case_id=decision.case_id, received_at=ticket.received_at, keys=keyed_one.keys,
                  fingerprint=keyed_one.fingerprint)
        decided.append((row, ticket, urgent, decision, action, actor))
    return decided, new_cases


def assign_cases(conn: Connection, runtime: Runtime, batch: list[tuple[Any, Ticket, bool]],
                 keyed: list[Keyed] | None = None) -> list[Placed]:
    """Decide and record the case of every (row, normalized ticket, urgent) of a batch, in order, in `conn`'s
    transaction.

    The batch's reports see each other (two duplicates in one batch make one case). Writes are one statement per
    table for the whole batch: cases, tickets, case links, the index (reports, postings) and the outbox.
    """
    if not batch:
        return []
    deduper = runtime.deduper
    now = runtime.clock()
    cfg = runtime.settings.section("dedupe")
    if keyed is None:
        keyed = key_reports(deduper, [ticket for _, ticket, _ in batch])
    query_lists = [k.query for k in keyed]
    # The engine's own number of candidates (the fitted engine sets its own, [dedupe.fitted]); `dedupe cluster`
    # reads the same one, so the live pipeline and the offline tools judge the same candidates.
    limit = getattr(getattr(deduper, "settings", None), "max_candidates", None)
    if limit is None:
        limit = cfg.get("max_candidates", 64)
    closed_days = cfg.get("closed_case_days", 30)
    wait_ms = int(runtime.settings.section("pipeline").get("lock_wait_ms", DEFAULT_LOCK_WAIT_MS))
    locks = {k for keyed_one in keyed for k in keyed_one.locks}
    if getattr(deduper, "remembers_logits", False) and conn.dialect.name == "postgresql":
        # Scored first without the dedupe locks, decided under them. Any two batches share hundreds of keys, so
        # while a batch scored its candidates under its locks every other worker waited for it: 3,000 tickets took
        # 14.1 s with two workers and 14.8 s with four (bench/README.md, "Workers wait for each other's dedupe
        # locks"). Under the locks the batch's posting rows are read again: unchanged, the index as first read
        # serves; changed (another batch filed under one of its keys meanwhile), it is built again from them. The
        # decisions then score only the candidates the first pass did not meet, and are those of one pass under
        # the locks: the same candidates, the same log-odds.
        index = BatchIndex(conn, query_lists, now, closed_days, limit)
        logits = _score_all(deduper, batch, keyed, index.clone())
        lock_all_keys(conn, locks, wait_ms)
        postings = read_postings(conn, index.read_keys)
        if postings != index.blobs:
            index = BatchIndex(conn, query_lists, now, closed_days, limit, postings)
        decided, new_cases = _decide_all(conn, deduper, batch, keyed, index, logits)
    else:
        lock_all_keys(conn, locks, wait_ms)
        index = BatchIndex(conn, query_lists, now, closed_days, limit)
        decided, new_cases = _decide_all(conn, deduper, batch, keyed, index, None)
    real: dict[int, int] = {}
    # Each case's due date (the earliest of its reports'), before the events that carry it.
    dues = batch_case_dues(conn, runtime, [(decision.case_id, {"normalized": ticket.normalized})
                                           for _, ticket, _, decision, _, _ in decided])
    if new_cases:
        ids = open_cases(conn, [
            {"status": "open", "priority": "urgent" if urgent else "normal", "next_sequence": 1, "opened_at": now,
             "updated_at": now, **dues[placeholder]} for placeholder, urgent in new_cases])
        real = {placeholder: case_id for (placeholder, _), case_id in zip(new_cases, ids)}
    case_of = {row.id: real.get(decision.case_id, decision.case_id) for row, _, _, decision, _, _ in decided}
    datas = [ticket.to_dict() for _, ticket, _, _, _, _ in decided]
    update_rows(conn, tickets, [
        {"id": row.id, "status": "in_case", "case_id": case_of[row.id], "in_case_at": now, "updated_at": now,
         "data": data, "citizen": ticket.citizen, "priority": "urgent" if urgent else "normal"}
        for (row, ticket, urgent, _, _, _), data in zip(decided, datas)])
    conn.execute(*insert_rows(conn, case_links, [
        {"case_id": case_of[row.id], "ticket_id": row.id, "action": action, "actor": actor, "score": decision.score,
         "evidence": decision.evidence, "created_at": now} for row, _, _, decision, action, actor in decided]))
    index.flush(conn, case_of, cfg.get("postings_cap", 200))
    # A new case carries the unit the dispatch model suggests; the counts it reads are read once for the batch.
    opening = [data for data, (_, _, _, _, action, _) in zip(datas, decided) if action == "opened"]
    counts = BatchCounts(conn, [f for data in opening for f in learned_features(features_of(data))])
    add_report_events(conn, [
        (case_of[row.id], "case.opened" if action == "opened" else "case.report_added", row.id,
         dict(data, reference=row.reference, status="in_case", case_id=case_of[row.id]), urgent,
         {"suggested_unit": suggested_unit(conn, runtime.settings.profile, data, counts)} if action == "opened"
         else None)
        for (row, _, urgent, _, action, _), data in zip(decided, datas)])
    # Each report's rare words (by the deduper's bigram table, or jieba's prior) gather separate cases as term groups.
    frequencies, max_share = hot.frequencies_of(deduper), hot.term_max_share(runtime.settings)
    hot.record_joins(conn, runtime.settings, [
        (case_of[row.id], row.created_at,
         dict(hot.case_facts(ticket.normalized, row.data),
              terms=hot.report_terms(frequencies, ticket.normalized, row.data, max_share)), action == "opened")
        for row, ticket, _, _, action, _ in decided])
    for row, _, _, _, action, _ in decided:
        log.info("ticket %s %s case %s", row.reference, action, case_of[row.id])
    # The bigram frequencies count indexed reports; the pipeline writes them to the store in batches, outside this
    # transaction (gateway.dedupe_index.sync_frequencies). A batch that rolls back leaves its counts pending: the
    # weights are that much less exact, nothing else.
    for keyed_one in keyed:
        if keyed_one.grams is not None:
            deduper.observe(keyed_one.grams)
    return [Placed(row.id, case_of[row.id], urgent) for row, _, urgent, _, _, _ in decided]
