"""Live duplicate suggestions: the open cases a call being keyed in probably belongs to, with the evidence.

The draft goes through the same normalizer, fingerprint, blocking keys, index and comparison as the pipeline's
dedupe stage, so what the operator is shown is what dedupe would weigh; nothing is written.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from dedupe.compare import Probe
from dedupe.types import Candidate
from gateway.console.highlight import clip, matched_segments
from gateway.dedupe_index import find_candidates, sync_frequencies
from gateway.runtime import Runtime
from gateway.tables import cases, tickets
from normalizer.ticket import Contact, Ticket, new_ticket

MIN_TEXT_CHARS = 4


def draft_ticket(runtime: Runtime, *, text: str, address: str = "", district: str = "",
                 phone: str | None = None) -> Ticket:
    """The call as keyed in so far, normalized like a stored report (not stored)."""
    ticket = new_ticket(channel="hotline", external_id="console:draft", text=text, received_at=runtime.clock(),
                        contact=Contact(phone=phone) if phone else None,
                        extra={"address": " ".join(filter(None, [district, address]))})
    ticket.normalized = runtime.normalizer.normalize(ticket)
    return ticket


def _best_per_case(runtime: Runtime, fingerprint: dict, draft: Ticket,
                   candidates: list[Candidate]) -> dict[int, tuple[Any, Candidate]]:
    deduper = runtime.deduper
    if hasattr(deduper, "judge_cases"):
        # The fitted engine's own per-case judgement: each case's best report, with its evidence.
        judged = deduper.judge_cases(fingerprint, draft.received_at, candidates)
        return {cand.case_id: (cmp, cand) for _, cmp, cand, _ in judged}
    settings = deduper.settings
    window = timedelta(days=settings.window_days) if settings.window_days else None
    probe = Probe(fingerprint, settings)  # the draft decoded once, judged against every candidate
    per_case: dict[int, list[tuple[Any, Candidate]]] = {}
    for cand in candidates:
        if window is not None and abs(draft.received_at - cand.received_at) > window:
            continue
        per_case.setdefault(cand.case_id, []).append((probe.compare(cand.fingerprint), cand))
    best = {}
    for case_id, pairs in per_case.items():
        if any(cmp.conflicts for cmp, _ in pairs):
            continue  # the rules engine never joins a case one of whose reports names another place
        best[case_id] = max(pairs, key=lambda pair: pair[0].score)
    return best


def suggest_cases(runtime: Runtime, *, text: str, address: str = "", district: str = "",
                  phone: str | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """The best-matching cases (best first), each with its closest report and the evidence."""
    if len(text.strip()) < MIN_TEXT_CHARS:
        return []
    deduper = runtime.deduper
    draft = draft_ticket(runtime, text=text, address=address, district=district, phone=phone)
    sync_frequencies(runtime.engine, deduper)  # the store's bigram frequencies, read once per process
    fingerprint = deduper.fingerprint(draft)
    keys = deduper.query_keys(fingerprint) if hasattr(deduper, "query_keys") else deduper.blocking_keys(fingerprint)
    closed_days = runtime.settings.section("dedupe").get("closed_case_days", 30)
    threshold = deduper.model.threshold if hasattr(deduper, "model") else deduper.settings.threshold
    floor = runtime.settings.section("console").get("suggest_min_score", threshold * 0.5)
    with runtime.engine.connect() as conn:
        candidates = find_candidates(conn, keys, draft.received_at, closed_days)
        best = _best_per_case(runtime, fingerprint, draft, candidates)
        ranked = sorted(((cmp, cand) for cmp, cand in best.values() if cmp.score >= floor),
                        key=lambda pair: -pair[0].score)[:limit]
        if not ranked:
            return []
        case_ids = [cand.case_id for _, cand in ranked]
        report_ids = [cand.report_id for _, cand in ranked]
        case_rows = {r.id: r for r in conn.execute(select(cases.c.id, cases.c.status).where(cases.c.id.in_(case_ids)))}
        counts = dict(conn.execute(select(tickets.c.case_id, func.count()).where(tickets.c.case_id.in_(case_ids))
                                   .group_by(tickets.c.case_id)).all())
        reports = {r.id: r for r in conn.execute(select(tickets.c.id, tickets.c.reference, tickets.c.channel,
                                                        tickets.c.received_at, tickets.c.data)
                                                 .where(tickets.c.id.in_(report_ids)))}
    out = []
    for cmp, cand in ranked:
        report = reports.get(cand.report_id)
        if report is None:
            continue
        stored = report.data.get("text") or ""
        evidence = cmp.evidence()
        out.append({
            "case_id": cand.case_id, "status": case_rows[cand.case_id].status, "reports": counts.get(cand.case_id, 0),
            "score": round(cmp.score, 3), "likely": cmp.score >= threshold, "evidence": evidence,
            "report": {"reference": report.reference, "channel": report.channel,
                       "received_at": report.received_at.isoformat(), "title": report.data.get("title"),
                       "segments": clip(matched_segments(stored, text, evidence["shared_names"]))},
        })
    return out
