"""A call keyed in at the console becomes a hotline ticket through the hotline channel's own parse and accept.

The form carries a random id made when the page was drawn; it is the idempotency key, so a double submit
(a double click, a browser retry) stores one ticket and answers the first answer again.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping

from channels.hotline.call import call_from_data
from gateway.hotline.intake import accept_hotline_call
from gateway.intake import Acceptance, json_body_hash
from gateway.runtime import Runtime
from normalizer.pii import to_e164

ENTERED_BY = "console"
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
        if raw_case.isdecimal() and len(raw_case) < 16:
            call.attach_to_case = int(raw_case)
        else:
            call.errors["attach_to_case"] = "案件编号无效"
    return call


def hotline_fields(call: CallForm, operator: str) -> dict[str, Any]:
    """The call in the hotline channel's own fields (`POST /channels/hotline`), so both make the same ticket."""
    address = call.address
    if call.district and call.district not in address:
        address = f"{call.district} {address}".strip()  # the normalizer finds the district in the address
    data: dict[str, Any] = {"call_id": f"console:{call.form_id}", "agent_id": operator, "summary": call.content,
                            "urgent": call.urgent}
    for name, value in (("caller_number", call.caller_number), ("address", address), ("category", call.category),
                        ("attach_to_case", call.attach_to_case)):
        if value not in ("", None):
            data[name] = value
    return data


def submit_call(runtime: Runtime, call: CallForm, operator: str) -> Acceptance:
    """Store the call as a hotline ticket, once per form id, through the hotline channel's own parse and accept.

    Raises ChannelError (a field the channel refuses), UnknownCase or IdempotencyConflict.
    """
    data = hotline_fields(call, operator)
    submission = call_from_data(data, now=runtime.clock(), zone=runtime.settings.timezone,
                                max_text_chars=runtime.settings.section("intake").get("max_text_chars", 20000),
                                entered_by=ENTERED_BY)
    if call.district:
        submission.ticket.extra["district"] = call.district
    raw = json.dumps({**data, "district": call.district}, ensure_ascii=False, sort_keys=True).encode()
    return accept_hotline_call(runtime, submission, raw, json_body_hash(raw), scope="console")
