"""What the gateway does with each WeChat push, by message or event type; every answer is stored with its key.

WeChat waits 5 seconds for the passive reply and then retries the same push up to three times, so every handler
answers from the database alone (media are fetched later by a job) and a retry gets the first reply verbatim.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from channels.chat.intents import classify_text
from channels.phone import parse_phone
from channels.times import plausible_time
from channels.wechat.inbound import CHANNEL, Inbound
from channels.wechat.texts import text
from gateway.chat.emergency import emergency_advice
from gateway.chat.own_reports import own_reports_reply
from gateway.chat.ratings import rate_report, ratable_report
from gateway.citizens import link_claimed
from gateway.conversation import Part, Stored, close_conversation, store_reply, submit_part
from gateway.runtime import Runtime
from gateway.tables import wechat_users
from gateway.upsert import insert_for
from gateway.wechat.config import WeChatConfig
from gateway.wechat.media import JOB as MEDIA_JOB, attachment_id, queue_media
from gateway.wechat.notices import note_follower_action
from normalizer.ticket import Attachment, Location, new_ticket


@dataclass
class Context:
    runtime: Runtime
    cfg: WeChatConfig
    inbound: Inbound
    raw: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def say(self, name: str, **values) -> str:
        return text(self.cfg.texts, name, city=self.cfg.city, **values)


def _reply(ctx: Context, effect: Callable[[Connection, list], str | None]) -> Stored:
    """Run `effect` and keep its reply text (None: the empty "success") under the push's key."""
    def body(conn: Connection, later: list) -> dict:
        return {"reply": effect(conn, later)}
    return store_reply(ctx.runtime, channel=CHANNEL, idem_key=ctx.inbound.idem_key, digest=ctx.digest,
                       raw=ctx.raw, effect=body)


def _upsert_user(conn: Connection, ctx: Context, **values) -> None:
    now = ctx.runtime.clock()
    values["updated_at"] = now
    stmt = insert_for(conn, wechat_users).values(
        openid=ctx.inbound.openid, created_at=now, subscribed=values.pop("subscribed", True), **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["openid"],
                                            set_={**values, "subscribed": stmt.excluded.subscribed}))


def _last_location(conn: Connection, ctx: Context) -> Location | None:
    row = conn.execute(select(wechat_users).where(wechat_users.c.openid == ctx.inbound.openid)).first()
    if row is None or row.last_lat is None or row.last_location_at is None:
        return None
    if ctx.runtime.clock() - row.last_location_at > ctx.cfg.last_location_max_age:
        return None
    return Location(lat=row.last_lat, lng=row.last_lng, crs=row.last_crs or "GCJ-02")


def _report(ctx: Context, report_text: str, *, force_new: bool = False) -> Stored:
    """Open a report with this message, or add it to the one the citizen opened within the window."""
    inbound = ctx.inbound
    attachments = [Attachment(id=attachment_id(m.media_id), url=m.url, content_type=m.content_type)
                   for m in inbound.media]
    details = {"msg_type": inbound.kind, "msg_id": inbound.msg_id, "fields": inbound.fields}
    part = Part(text=report_text, attachments=attachments, location=inbound.location, extra=details)
    advice = emergency_advice(ctx.runtime, report_text)

    def make_ticket(conn: Connection):
        location, extra = inbound.location, {"wechat": details}
        if location is None:
            location = _last_location(conn, ctx)
            if location is not None:
                extra["location_source"] = "last_reported"
        elif location:
            extra["location_source"] = "message"
        if advice:
            extra["emergency_advice_given"] = True
        return new_ticket(channel=CHANNEL, external_id=inbound.idem_key, text=report_text,
                          received_at=plausible_time(inbound.created_at, ctx.runtime.clock()),
                          citizen=inbound.citizen, location=location,
                          attachments=attachments, extra=extra)

    def answer(name: str) -> Callable[[str], dict]:
        def build(reference: str) -> dict:
            # `excerpt` lets a city's template echo what the citizen wrote (rendered CDATA-safe).
            reply = ctx.say(name, reference=reference, excerpt=report_text[:30])
            return {"reference": reference, "reply": f"{advice}\n{reply}" if advice else reply}
        return build

    def on_stored(conn: Connection, ticket_id: int, opened: bool, later: list) -> None:
        if inbound.media:
            queue_media(conn, ctx.runtime, ticket_id, inbound.media)
            later.append((MEDIA_JOB, ticket_id, False))

    return submit_part(ctx.runtime, channel=CHANNEL, citizen=inbound.citizen, idem_key=inbound.idem_key,
                       digest=ctx.digest, raw=ctx.raw, part=part, make_ticket=make_ticket, window=ctx.cfg.window,
                       force_new=force_new, answer_opened=answer("accepted"), answer_joined=answer("joined"),
                       on_stored=on_stored)


def _query(ctx: Context, reference: str | None = None) -> Stored:
    return _reply(ctx, lambda conn, later: own_reports_reply(conn, ctx.runtime, ctx.inbound.citizen, ctx.cfg.texts,
                                                           ctx.cfg.query_limit, reference))


def _start_fresh(ctx: Context) -> Stored:
    def effect(conn: Connection, later: list) -> str:
        close_conversation(conn, CHANNEL, ctx.inbound.citizen, ctx.runtime.clock())
        return ctx.say("report_prompt")
    return _reply(ctx, effect)


def _rate_prompt(ctx: Context) -> Stored:
    def effect(conn: Connection, later: list) -> str:
        row = ratable_report(conn, ctx.inbound.citizen)
        return ctx.say("rate_prompt", reference=row.reference) if row is not None else ctx.say("rate_none")
    return _reply(ctx, effect)


def _remember_phone(ctx: Context, number: str) -> Stored:
    """A follower's phone number for call-backs: linked to their openid as a claim, never as proof (it opens
    no one's reports to anyone); a number that is not a citizen's line is just a report text."""
    region = ctx.runtime.settings.section("city").get("phone_region", "CN")
    phone = parse_phone(number, region)
    if not phone.is_citizen:
        return _report(ctx, ctx.inbound.text or "")

    def effect(conn: Connection, later: list) -> str:
        link_claimed(conn, ("wechat", ctx.inbound.openid), ("phone", phone.e164), ctx.runtime.clock(), CHANNEL)
        return ctx.say("phone_saved", phone=phone.masked)
    return _reply(ctx, effect)


def on_text(ctx: Context) -> Stored:
    """Text: a query, a rating of a closed case, an explicit new report, or a report (part)."""
    content = ctx.inbound.text or ""
    intent = classify_text(content, query_keywords=ctx.cfg.query_keywords,
                           new_report_keywords=ctx.cfg.new_report_keywords)
    if intent.name == "query":
        return _query(ctx, intent.reference)
    if intent.name == "new_report":
        return _report(ctx, intent.text, force_new=True) if intent.text else _start_fresh(ctx)
    if intent.name == "phone":
        return _remember_phone(ctx, intent.text)
    if intent.name == "rating":
        # A bare "1" is never a useful report: with nothing to rate it gets the "nothing to rate" answer.
        def effect(conn: Connection, later: list) -> str:
            row = ratable_report(conn, ctx.inbound.citizen)
            if row is None:
                return ctx.say("rate_none")
            label = rate_report(conn, ctx.runtime, row, ctx.inbound.citizen, intent.rating, intent.text, later)
            return ctx.say("rated", label=label)
        return _reply(ctx, effect)
    return _report(ctx, content)


def on_part(ctx: Context) -> Stored:
    """Photo, voice, video, location or link: a report, or a part of the one just opened."""
    return _report(ctx, ctx.inbound.text or "")


def on_subscribe(ctx: Context) -> Stored:
    """A new follower (perhaps through a QR code with a scene): the welcome, with how to report and query."""
    def effect(conn: Connection, later: list) -> str:
        _upsert_user(conn, ctx, subscribed=True, scene=ctx.inbound.event_key)
        return ctx.say("welcome")
    return _reply(ctx, effect)


def on_unsubscribe(ctx: Context) -> Stored:
    """An unfollow: remembered, and answered with the empty reply (the citizen can no longer read anything)."""
    def effect(conn: Connection, later: list) -> None:
        _upsert_user(conn, ctx, subscribed=False)
        return None
    return _reply(ctx, effect)


def on_location_event(ctx: Context) -> Stored:
    """The position WeChat reports on entering the chat: kept for the next report, nothing created.
    WeChat does not allow a reply to this event."""
    location = ctx.inbound.location

    def effect(conn: Connection, later: list) -> None:
        if location is not None:
            precision = ctx.inbound.fields.get("Precision")
            try:
                precision_value = float(precision) if precision else None
            except ValueError:
                precision_value = None
            _upsert_user(conn, ctx, last_lat=location.lat, last_lng=location.lng,
                         last_crs=ctx.cfg.location_event_crs, last_precision=precision_value,
                         last_location_at=ctx.runtime.clock())
        return None
    return _reply(ctx, effect)


def on_click(ctx: Context) -> Stored:
    """A menu button: report (start a fresh report), query (my reports) or rate (the closed case to rate)."""
    action = ctx.cfg.menu.get(ctx.inbound.event_key or "")
    if action == "report":
        return _start_fresh(ctx)
    if action == "query":
        return _query(ctx)
    if action == "rate":
        return _rate_prompt(ctx)
    return _reply(ctx, lambda conn, later: ctx.say("welcome"))


def on_silent(ctx: Context) -> Stored:
    """Events that need no answer (a menu link opened, a template message delivered)."""
    return _reply(ctx, lambda conn, later: None)


def on_unsupported(ctx: Context) -> Stored:
    """A message type we do not handle: a polite note on what we do handle."""
    return _reply(ctx, lambda conn, later: ctx.say("unsupported"))


HANDLERS: dict[str, Callable[[Context], Stored]] = {
    "text": on_text,
    "image": on_part, "voice": on_part, "video": on_part, "shortvideo": on_part, "location": on_part,
    "link": on_part,
    "event:subscribe": on_subscribe, "event:subscribe_scan": on_subscribe, "event:scan": on_subscribe,
    "event:unsubscribe": on_unsubscribe,
    "event:click": on_click,
    "event:location": on_location_event,
    "event:view": on_silent,
}


def handle_inbound(runtime: Runtime, cfg: WeChatConfig, inbound: Inbound, raw: bytes) -> Stored:
    """Dispatch one push; the stored answer's `reply` is the text to send back (None: "success")."""
    # Before the answer: the follower's action reopens WeChat's 48-hour window for notices that waited for it.
    note_follower_action(runtime, inbound.openid, inbound.kind)
    handler = HANDLERS.get(inbound.kind)
    if handler is None:
        handler = on_silent if inbound.kind.startswith("unknown:event:") else on_unsupported
    return handler(Context(runtime, cfg, inbound, raw))
