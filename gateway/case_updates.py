"""Apply the case system's updates: idempotent by event id, older-than-latest updates acknowledged and ignored."""
from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from channels.case_updates import CaseUpdate
from gateway.dispatch_store import learn_assignment
from gateway.intake import stored_answer
from gateway.notices import plan_notices
from gateway.runtime import Runtime
from gateway.tables import case_updates, cases, submissions


class UnknownCase(Exception):
    """The update names a case this gateway never opened."""


def apply_case_update(runtime: Runtime, update_in: CaseUpdate, raw: bytes, digest: str) -> tuple[int, dict]:
    """Store the update once; returns (HTTP status, body). Raises UnknownCase or IdempotencyConflict."""
    key = update_in.event_id
    now = runtime.clock()
    seen = stored_answer(runtime, "case-system", key, digest)
    if seen is not None:
        return 200, seen.response_body
    later: list = []
    try:
        with runtime.engine.begin() as conn:
            query = select(cases.c.id, cases.c.last_update_at).where(cases.c.id == update_in.case_id)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            case = conn.execute(query).first()
            if case is None:
                raise UnknownCase(update_in.case_id)
            # Updates may arrive out of order; the case keeps the newest by the case system's own clock.
            applied = case.last_update_at is None or update_in.updated_at > case.last_update_at
            if applied:
                conn.execute(update(cases).where(cases.c.id == case.id).values(
                    status=update_in.status, message=update_in.message, unit=update_in.unit,
                    last_update_at=update_in.updated_at, updated_at=now))
                if update_in.status == "assigned":
                    learn_assignment(conn, case.id, update_in.unit, now)  # dispatch suggestions learn from it
                # Every citizen of the case hears of it, in this transaction: an update is never applied
                # without its notices, nor told twice.
                plan_notices(conn, runtime, case.id, key, update_in.status, update_in.message, update_in.unit,
                             later)
            conn.execute(insert(case_updates).values(
                case_id=case.id, event_id=key, status=update_in.status, message=update_in.message,
                unit=update_in.unit, updated_at=update_in.updated_at, applied=applied, received_at=now))
            body = {"case_id": case.id, "applied": applied,
                    "message": "已更新" if applied else "该更新早于案件的最新状态，已忽略"}
            conn.execute(insert(submissions).values(
                channel="case-system", idem_key=key, body_hash=digest, raw=raw, response_status=200,
                response_body=body, created_at=now))
    except IntegrityError:
        return apply_case_update(runtime, update_in, raw, digest)  # a concurrent twin won: answer as a repeat
    for job, arg, urgent in later:
        runtime.queue.enqueue(job, arg, urgent)
    return 200, body

