"""Accepting one hotline call: the path the endpoint and the bulk import share.

The attach check, the emergency check and `accept_submission` under the channel "hotline", keyed by `call_id`
within a scope: each API key has its own (as `Idempotency-Key` has), the CSV import and the console one each. A
shared namespace let any client key take a predictable CTI call id first, and the real call was then refused.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from channels.hotline.call import CHANNEL, HotlineSubmission
from gateway.intake import Acceptance, accept_submission
from gateway.runtime import Runtime
from gateway.tables import cases


class UnknownCase(Exception):
    """`attach_to_case` names a case that does not exist."""

    def __init__(self, case_id: int):
        super().__init__(case_id)
        self.case_id = case_id
        self.message = f"要并入的案件 {case_id} 不存在"


def scoped_call_id(scope: str, call_id: str) -> str:
    """The idempotency key of a call: its `call_id` within its sender's scope (`key:NAME`, `import`, `console`)."""
    return f"{scope}:{call_id}"


def live_case_id(runtime: Runtime, case_id: int) -> int | None:
    """The case an attach lands in (a merged case sends it on to the case that absorbed it); None: no such case."""
    with runtime.engine.connect() as conn:
        for _ in range(20):
            row = conn.execute(select(cases.c.merged_into).where(cases.c.id == case_id)).first()
            if row is None:
                return None
            if row.merged_into is None:
                return case_id
            case_id = row.merged_into
    return case_id


def hotline_answer(reference: str, submission: HotlineSubmission, emergency: dict[str, Any],
                   case_id: int | None) -> dict[str, Any]:
    """The 201 body: what the operator reads back to the caller (and the 110/119/120 advice in an emergency)."""
    ticket = submission.ticket
    message = f"来电诉求已登记，编号 {reference}。市民可凭编号查询办理进度。"
    if case_id is not None:
        message += f"已按话务员判断并入案件 {case_id}。"
    body: dict[str, Any] = {"reference": reference, "status": "received", "channel": ticket.channel,
                            "call_id": submission.call_id, "received_at": ticket.received_at.isoformat(),
                            "message": message, "emergency": False}
    if case_id is not None:
        body["case_id"] = case_id
    if emergency.get("emergency"):
        # The operator must tell the caller now: 12345 is no substitute for 110/119/120.
        body.update(emergency=True, advice=emergency.get("advice"), message=f"{emergency.get('advice')}{message}")
    return body


def accept_hotline_call(runtime: Runtime, submission: HotlineSubmission, raw: bytes, digest: str, *,
                        scope: str) -> Acceptance:
    """Store the call once per `call_id` in `scope` and enqueue it; raises UnknownCase or IdempotencyConflict."""
    ticket = submission.ticket
    case_id = None
    if submission.attach_to_case is not None:
        case_id = live_case_id(runtime, submission.attach_to_case)
        if case_id is None:
            raise UnknownCase(submission.attach_to_case)
    emergency = runtime.normalizer.quick_emergency(ticket.text)
    if emergency.get("emergency"):
        ticket.urgent = True
    return accept_submission(runtime, channel=CHANNEL, idem_key=scoped_call_id(scope, submission.call_id), digest=digest, raw=raw,
                             ticket=ticket, answer=lambda ref: hotline_answer(ref, submission, emergency, case_id))
