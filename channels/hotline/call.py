"""The 12345 hotline channel: one call from the call-center system (CTI) or the operator console, as JSON.

`call_id` is the idempotency key. The ticket's text is the operator's summary when there is one, otherwise the
transcript; both are kept in `extra`. An `attach_to_case` is the operator's own decision, taken on the call, that
the call belongs to that case: the pipeline honours it instead of asking the deduper.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from channels.errors import ChannelError
from channels.hotline.schema import HotlineCall
from channels.jsonbody import load_with, parse_json_object
from channels.times import parse_time
from normalizer.ticket import Contact, Location, Ticket, new_ticket

CHANNEL = "hotline"

# A call-center clock a little ahead of ours is not a call from the future.
CLOCK_SKEW = timedelta(minutes=5)

# Speakers as speech recognition names them, and how an operator reads them in the transcript.
SPEAKER_LABELS = {
    "caller": "市民", "citizen": "市民", "customer": "市民", "user": "市民", "市民": "市民", "来电人": "市民",
    "agent": "话务员", "operator": "话务员", "staff": "话务员", "话务员": "话务员", "坐席": "话务员",
    "ivr": "系统", "system": "系统", "系统": "系统",
}


@dataclass
class HotlineSubmission:
    """A parsed call: its idempotency key, the ticket, and the case an operator attached it to (if any)."""

    call_id: str
    ticket: Ticket
    attach_to_case: int | None


def speaker_label(speaker: str) -> str:
    """The Chinese label for a known speaker name; any other name is shown as given."""
    name = speaker.strip()
    return SPEAKER_LABELS.get(name.lower(), name)


def transcript_text(transcript: str | list[dict[str, Any]]) -> str:
    """The transcript as text: given text as is, turns as `市民：…` / `话务员：…` lines."""
    if isinstance(transcript, str):
        return transcript
    return "\n".join(f"{speaker_label(turn['speaker'])}：{turn['text']}" for turn in transcript)


def _received_at(value: str | None, now: datetime, zone: str) -> datetime:
    if not value:
        return now
    try:
        started = parse_time(value, zone)
    except ValueError:
        raise ChannelError(422, "invalid_fields", "请求字段有误",
                           {"started_at": ["应为 ISO 8601 时间，如 2024-05-03T09:15:00+08:00"]}) from None
    if started > now + CLOCK_SKEW:
        raise ChannelError(422, "invalid_fields", "请求字段有误", {"started_at": ["通话开始时间不能晚于当前时间"]})
    return min(started, now)


def call_from_data(data: dict[str, Any], *, now: datetime, zone: str, max_text_chars: int,
                   entered_by: str) -> HotlineSubmission:
    """Turn a call's fields (a JSON object already parsed) into a ticket, or raise ChannelError.

    `entered_by` names who sent it (the API key's name, or `import`): with `agent_id` it is recorded as who made
    an attach decision.
    """
    data = load_with(HotlineCall(max_text_chars=max_text_chars), data)
    transcript = data.get("transcript")
    spoken = transcript_text(transcript) if transcript is not None else None
    summary = data.get("summary")
    if summary is None and len(spoken) > max_text_chars:
        raise ChannelError(422, "invalid_fields", "请求字段有误", {"transcript": [
            f"转写内容过长（最多 {max_text_chars} 字）；请同时提供通话摘要（summary）"]})
    extra: dict[str, Any] = {"call_id": data["call_id"], "entered_by": entered_by}
    for name in ("agent_id", "started_at"):
        if data.get(name):
            extra[name] = data[name]
    if spoken is not None:
        extra["transcript"] = spoken
    if isinstance(transcript, list):
        extra["turns"] = transcript
    if summary is not None:
        extra["summary"] = summary
    attach = data.get("attach_to_case")
    if attach is not None:
        extra["attach_to_case"] = attach
        extra["attached_by"] = data.get("agent_id") or entered_by
    number = data.get("caller_number")
    ticket = new_ticket(
        channel=CHANNEL, external_id=data["call_id"], text=summary if summary is not None else spoken,
        received_at=_received_at(data.get("started_at"), now, zone), category=data.get("category"),
        urgent=data["urgent"], location=Location(address=data["address"]) if data.get("address") else None,
        contact=Contact(phone=number) if number else None, extra=extra)
    return HotlineSubmission(call_id=data["call_id"], ticket=ticket, attach_to_case=attach)


def parse_hotline_call(body: bytes, *, now: datetime, zone: str, max_text_chars: int,
                       entered_by: str) -> HotlineSubmission:
    """Turn the hotline's request body into a ticket, or raise ChannelError."""
    return call_from_data(parse_json_object(body), now=now, zone=zone, max_text_chars=max_text_chars,
                          entered_by=entered_by)
