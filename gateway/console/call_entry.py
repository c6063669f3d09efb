"""A call keyed in at the console becomes a hotline ticket through the same intake as every channel.

The form carries a random id made when the page was drawn; it is the idempotency key, so a double submit
(a double click, a browser retry) stores one ticket and answers the first answer again.
"""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping

from sqlalchemy import select

from gateway.intake import Acceptance, accept_submission
from gateway.runtime import Runtime
from gateway.tables import cases
from normalizer.pii import to_e164
from normalizer.ticket import Contact, new_ticket

CHANNEL = "hotline"
_LOOSE_NUMBER = re.compile(r"^\+?[0-9][0-9 -]{4,24}$")


@dataclass
class CallForm:
    """The form's fields, cleaned, and what is wrong with them (field → Chinese message)."""

    form_id: str = ""
    caller_number: str = ""
    content: str = ""
    address: str = ""
    district: str = ""
    category: str = ""
    urgent: bool = False
    attach_to_case: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        """The submission as stored raw (and hashed for the idempotency check)."""
        return {"form_id": self.form_id, "caller_number": self.caller_number, "content": self.content,
                "address": self.address, "district": self.district, "category": self.category,
                "urgent": self.urgent, "attach_to_case": self.attach_to_case}


def read_call_form(form: Mapping[str, str], *, districts: list[str], categories, max_text_chars: int,
                   region: str = "CN") -> CallForm:
    """Clean and check the posted fields."""
    call = CallForm(form_id=form.get("form_id", "").strip(), caller_number=form.get("caller_number", "").strip(),
                    content=form.get("content", "").strip(), address=form.get("address", "").strip(),
                    district=form.get("district", "").strip(), category=form.get("category", "").strip(),
                    urgent=form.get("urgent") in ("1", "on", "true"))
    try:
        call.form_id = str(uuid.UUID(call.form_id))
    except ValueError:
        call.errors["form_id"] = "表单标识无效，请刷新页面后重新填写"
    if call.caller_number:
        e164 = to_e164(call.caller_number, region)
        if e164:
            call.caller_number = e164
        elif not _LOOSE_NUMBER.match(call.caller_number):
            call.errors["caller_number"] = "来电号码格式不正确"
    if not call.content:
        call.errors["content"] = "请填写诉求内容"
    elif len(call.content) > max_text_chars:
        call.errors["content"] = f"诉求内容过长（最多 {max_text_chars} 字）"
    if len(call.address) > 300:
        call.errors["address"] = "地址过长（最多 300 字）"
    if call.district and call.district not in districts:
        call.errors["district"] = "请从列表中选择区"
    if call.category and call.category not in categories:
        call.errors["category"] = "请从分类列表中选择（一级/二级/三级）"
    raw_case = form.get("attach_to_case", "").strip()
    if raw_case:
        if raw_case.isdigit() and len(raw_case) < 16:
            call.attach_to_case = int(raw_case)
        else:
            call.errors["attach_to_case"] = "案件编号无效"
    return call


def case_exists(runtime: Runtime, case_id: int) -> bool:
    """True when the case is in the store (a merged case forwards its newcomers, so it counts)."""
    with runtime.engine.connect() as conn:
        return conn.execute(select(cases.c.id).where(cases.c.id == case_id)).first() is not None


def submit_call(runtime: Runtime, call: CallForm, operator: str) -> tuple[Acceptance, dict[str, Any]]:
    """Store the call as a hotline ticket (once per form id); returns the acceptance and the emergency check."""
    # TODO(hotline): when channels/hotline.py has its parse function, build the ticket with it instead.
    emergency = runtime.normalizer.quick_emergency(call.content)
    ticket = new_ticket(
        channel=CHANNEL, external_id=f"console:{call.form_id}", text=call.content, received_at=runtime.clock(),
        urgent=call.urgent or bool(emergency.get("emergency")), category=call.category or None,
        contact=Contact(phone=call.caller_number) if call.caller_number else None,
        extra={"address": call.address or None, "district": call.district or None, "agent_id": operator,
               "caller_number": call.caller_number or None, "attach_to_case": call.attach_to_case,
               "entered_by": "console"})
    raw = json.dumps(call.wire(), ensure_ascii=False, sort_keys=True).encode()

    def answer(reference: str) -> dict[str, Any]:
        return {"reference": reference, "status": "received", "channel": CHANNEL,
                "received_at": ticket.received_at.isoformat(), "attach_to_case": call.attach_to_case,
                "urgent": ticket.urgent, "emergency": bool(emergency.get("emergency")),
                "advice": emergency.get("advice")}

    acceptance = accept_submission(runtime, channel=CHANNEL, idem_key=ticket.external_id,
                                   digest=hashlib.sha256(raw).hexdigest(), raw=raw, ticket=ticket, answer=answer)
    return acceptance, emergency
