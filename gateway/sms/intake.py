"""What the gateway does with each text, whichever provider carried it; every answer is stored with its key.

A text is a query ("查询"/"CX", with or without a reference), a rating ("1"/"2"/"3" once a case is closed), an
explicit new report, or, whatever else it says, a report: nobody has to learn a format. Reports go through the
shared conversation assembly (`gateway.conversation`), so a burst of texts from one number within the window is
one report, and a provider's retry (same MessageSid / sequence_id) gets the first answer and changes nothing.

Twilio takes the reply in its webhook's answer (TwiML); a domestic uplink push cannot carry one, so there the
reply goes to the outbox (`gateway.sms.outbound`) in the same transaction that stores the message.
"""
from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy.engine import Connection

from channels.chat.intents import classify_text
from channels.sms.message import SmsMessage
from gateway.chat.emergency import emergency_advice
from gateway.chat.own_reports import own_reports_reply
from gateway.chat.ratings import rate_report, ratable_report
from gateway.citizens import ensure_identity, record_ticket
from gateway.conversation import Part, Stored, close_conversation, store_reply, submit_part
from gateway.rate_limits import phone_sender
from gateway.runtime import Runtime
from gateway.sms.config import SmsConfig
from gateway.sms.outbound import queue_sms
from gateway.sms.notices import set_sms_optout
from normalizer.ticket import Attachment, Contact, new_ticket

log = logging.getLogger(__name__)

CHANNEL = "sms"
TWIML = "twiml"


@dataclass
class Context:
    runtime: Runtime
    cfg: SmsConfig
    message: SmsMessage
    raw: bytes
    reply_by: str                   # "twiml" (in the webhook's answer) or the outbound provider's name
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def identity(self) -> str:
        return self.message.sender.identity

    def say(self, name: str, **values: str) -> str:
        return self.cfg.texts[name].format(**values)


def _send_reply(ctx: Context, conn: Connection, text: str | None, later: list, ticket_id: int | None = None) -> None:
    """For uplink pushes: the reply goes out as a text of its own, once per message (keyed on the message)."""
    to = ctx.message.sender.e164
    if ctx.reply_by == TWIML or not text or not to:
        return
    queue_sms(conn, ctx.runtime, key=f"reply:{ctx.message.idem_key}", provider=ctx.reply_by, to=to, body=text,
              later=later, ticket_id=ticket_id)


def _reply(ctx: Context, effect: Callable[[Connection, list], str | None]) -> Stored:
    """Run `effect` and keep its reply text (None: say nothing) under the message's key."""
    def body(conn: Connection, later: list) -> dict:
        text = effect(conn, later)
        _send_reply(ctx, conn, text, later)
        return {"reply": text}
    return store_reply(ctx.runtime, channel=CHANNEL, idem_key=ctx.message.idem_key, digest=ctx.digest, raw=ctx.raw,
                       effect=body)


def _report(ctx: Context, report_text: str, *, force_new: bool = False) -> Stored:
    """Open a report with this text, or add it to the one this number opened within the window."""
    message, sender = ctx.message, ctx.message.sender
    attachments = [Attachment(url=m.url, content_type=m.content_type) for m in message.media]
    details = {"provider": message.provider, "message_id": message.message_id, "fields": message.fields}
    part = Part(text=report_text, attachments=attachments, extra=details)
    advice = emergency_advice(ctx.runtime, report_text)

    def make_ticket(conn: Connection):
        now = ctx.runtime.clock()
        citizen_id = ensure_identity(conn, "phone", sender.e164, now, CHANNEL) if sender.is_citizen else None
        ctx.state["citizen_id"] = citizen_id
        extra = {"sms": details, "citizen_id": citizen_id,
                 "phone": {"raw": sender.raw, "e164": sender.e164, "kind": sender.kind, "valid": sender.is_citizen}}
        if advice:
            extra["emergency_advice_given"] = True
        return new_ticket(channel=CHANNEL, source=message.provider, external_id=message.idem_key, text=report_text,
                          received_at=message.received_at, citizen=ctx.identity, urgent=bool(advice),
                          contact=Contact(phone=sender.e164 or sender.raw), attachments=attachments, extra=extra)

    def answer(name: str) -> Callable[[str], dict]:
        def build(reference: str) -> dict:
            reply = ctx.say(name, reference=reference)
            ctx.state["reply"] = f"{advice}\n{reply}" if advice else reply
            return {"reference": reference, "reply": ctx.state["reply"]}
        return build

    def on_stored(conn: Connection, ticket_id: int, opened: bool, later: list) -> None:
        if opened and ctx.state.get("citizen_id") is not None:
            record_ticket(conn, ticket_id, ctx.state["citizen_id"], ctx.identity, ctx.runtime.clock())
        _send_reply(ctx, conn, ctx.state.get("reply"), later, ticket_id)

    return submit_part(ctx.runtime, channel=CHANNEL, citizen=ctx.identity, idem_key=message.idem_key,
                       digest=ctx.digest, raw=ctx.raw, part=part, make_ticket=make_ticket, window=ctx.cfg.window,
                       force_new=force_new, answer_opened=answer("accepted"), answer_joined=answer("joined"),
                       on_stored=on_stored)


def _rating(ctx: Context, rating: int, comment: str) -> Stored:
    def effect(conn: Connection, later: list) -> str:
        row = ratable_report(conn, ctx.identity)
        if row is None:
            return ctx.say("rate_none")
        label = rate_report(conn, ctx.runtime, row, ctx.identity, rating, comment, later)
        return ctx.say("rated", label=label)
    return _reply(ctx, effect)


# Texts that are a whole message asking to stop (or restart) notices; compared after NFKC folding and upper-casing,
# as operators' short codes are (退订 and TD are what Chinese carriers teach).
UNSUBSCRIBE = ("退订", "TD", "T", "STOP", "UNSUBSCRIBE")
RESUBSCRIBE = ("订阅", "START", "UNSTOP")


def _subscription(ctx: Context, out: bool) -> Stored:
    """退订/TD: no more SMS notices to this number; 订阅: again."""
    def effect(conn: Connection, later: list) -> str | None:
        set_sms_optout(conn, ctx.message.sender.e164, ctx.runtime.clock(), out)
        return ctx.say("unsubscribed" if out else "resubscribed")
    return _reply(ctx, effect)


def _start_fresh(ctx: Context) -> Stored:
    def effect(conn: Connection, later: list) -> str:
        close_conversation(conn, CHANNEL, ctx.identity, ctx.runtime.clock())
        return ctx.say("report_prompt")
    return _reply(ctx, effect)


def on_text(ctx: Context) -> Stored:
    """A query, a rating, an explicit new report, or (anything else) a report or a part of one."""
    content = ctx.message.text
    if not content.strip() and not ctx.message.media:
        return _reply(ctx, lambda conn, later: ctx.say("empty"))
    folded = unicodedata.normalize("NFKC", content).strip().upper()
    if ctx.message.sender.e164 and not ctx.message.media and folded in UNSUBSCRIBE + RESUBSCRIBE:
        return _subscription(ctx, folded in UNSUBSCRIBE)
    intent = classify_text(content, query_keywords=ctx.cfg.query_keywords,
                           new_report_keywords=ctx.cfg.new_report_keywords)
    if intent.name == "query":
        return _reply(ctx, lambda conn, later: own_reports_reply(conn, ctx.runtime, ctx.identity, ctx.cfg.texts,
                                                               ctx.cfg.query_limit, intent.reference))
    if intent.name == "rating" and not ctx.message.media:
        return _rating(ctx, intent.rating, intent.text)
    if intent.name == "new_report":
        return _report(ctx, intent.text, force_new=True) if intent.text or ctx.message.media else _start_fresh(ctx)
    return _report(ctx, content)


def on_service_number(ctx: Context) -> Stored:
    """A text from a service number (12345 itself, 95xxx, 106… notices): never a citizen, never answered
    (two auto-responders would text each other for ever)."""
    log.info("sms %s from service number %s ignored", ctx.message.idem_key, ctx.message.sender.masked)
    return _reply(ctx, lambda conn, later: None)


HANDLERS: dict[str, Callable[[Context], Stored]] = {"service": on_service_number}


def handle_sms(runtime: Runtime, cfg: SmsConfig, message: SmsMessage, raw: bytes, reply_by: str = TWIML) -> Stored:
    """Dispatch one text by its sender's kind; the stored answer's `reply` is what to say back (None: nothing)."""
    handler = HANDLERS.get(message.sender.kind, on_text)
    return handler(Context(runtime, cfg, message, raw, reply_by))


def sms_sender(message: SmsMessage) -> str | None:
    """The rate-limit identity of a text's sender (one per number, however the provider writes it)."""
    return phone_sender(message.sender.e164 or message.sender.raw)


def record_limited(runtime: Runtime, message: SmsMessage, raw: bytes) -> Stored:
    """Keep an over-limit text as limited under its key, without a ticket or a reply: the provider's batch is
    answered, a re-push of it is a repeat, and operations can still see what came."""
    return store_reply(runtime, channel=CHANNEL, idem_key=message.idem_key, digest=hashlib.sha256(raw).hexdigest(),
                       raw=raw, effect=lambda conn, later: {"reply": None, "limited": True})
