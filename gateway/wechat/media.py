"""Copy WeChat media into the attachment store: a pipeline job, never the request (WeChat wants its reply in 5 s).

WeChat's MediaIds expire after 3 days, so each photo, voice note and video is downloaded through the media API
(media/get, with wechatpy's shared access token) and its attachment in the ticket then points at the gateway's own `/attachments/{token}` link. A ticket
already in a case also tells the case system, with a `case.updated` event.
"""
from __future__ import annotations

import io
import logging
from datetime import timedelta

import requests
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from wechatpy.exceptions import WeChatClientException

from channels.wechat.inbound import Media
from gateway.attachment_store import AttachmentRejected, StoredFile, store_file
from gateway.events import add_event
from gateway.redaction import redact
from gateway.runtime import Runtime
from gateway.tables import tickets, wechat_media
from gateway.wechat.client import NotConfigured, make_client

log = logging.getLogger(__name__)

JOB = "fetch_wechat_media"
MEDIA_LIFETIME = timedelta(days=3)
# WeChat's answers that no retry will change: invalid media id, media id of another app, expired media.
PERMANENT_ERRCODES = {40007, 40008, 41006, 40013}
FALLBACK_TYPES = {"image": "image/jpeg", "voice": "audio/amr", "video": "video/mp4", "shortvideo": "video/mp4"}


def attachment_id(media_id: str) -> str:
    """The placeholder id of a not-yet-downloaded medium in the ticket's attachments."""
    return f"wechat-media:{media_id}"


def queue_media(conn: Connection, runtime: Runtime, ticket_id: int, media: list[Media]) -> None:
    """Record the media of a message for download, in the transaction that stores the message."""
    now = runtime.clock()
    # A medium already queued for this report (a message repeating a MediaId) is the same file: one download.
    # The caller holds the conversation's lock, so nothing queues it between this read and the insert.
    queued = set(conn.execute(select(wechat_media.c.media_id).where(wechat_media.c.ticket_id == ticket_id)).scalars())
    for item in media:
        if item.media_id in queued:
            continue
        queued.add(item.media_id)
        conn.execute(insert(wechat_media).values(
            ticket_id=ticket_id, media_id=item.media_id, kind=item.kind, status="pending", attempts=0,
            next_attempt_at=now, created_at=now, updated_at=now))


def pending_media_work(runtime: Runtime, limit: int = 500) -> list[tuple[str, int, bool]]:
    """(job, ticket id, urgent) for tickets with media due for download; for the sweeper and tests."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(wechat_media.c.ticket_id).distinct()
            .join(tickets, tickets.c.id == wechat_media.c.ticket_id)
            .where(wechat_media.c.status == "pending", wechat_media.c.next_attempt_at <= runtime.clock(),
                   tickets.c.status != "received")
            .limit(limit)).all()
    return [(JOB, r.ticket_id, False) for r in rows]


# Tokens WeChat considers invalid or expired: fetch a fresh one and try once more.
TOKEN_ERRCODES = {40001, 40014, 42001}


def _media_get(client, media_id: str, timeout: float):
    # wechatpy's media.download runs every body through json.loads first, so a photo whose bytes happen to
    # decode as a JSON number comes back as that number. We call media/get ourselves (with wechatpy's shared
    # access token) and read JSON only when WeChat says it is JSON.
    for attempt in range(2):
        response = client._http.get(f"{client.API_BASE_URL}media/get", timeout=timeout,
                                    params={"access_token": client.access_token, "media_id": media_id})
        response.raise_for_status()
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "text/plain", "text/json"):
            return response, content_type
        result = response.json()
        errcode = int(result.get("errcode") or 0)
        if errcode in TOKEN_ERRCODES and attempt == 0:
            client.fetch_access_token()
            continue
        if errcode:
            raise WeChatClientException(errcode, result.get("errmsg"), client=client, response=response)
        return result, content_type
    raise WeChatClientException(None, "access token refused twice", client=client)


def _download(runtime: Runtime, client, media_id: str, kind: str) -> tuple[bytes, str]:
    result, content_type = _media_get(client, media_id, client.timeout or 10)
    if isinstance(result, dict):
        # Videos come back as JSON with a download link instead of the bytes.
        url = result.get("video_url") or result.get("down_url")
        if not url:
            raise WeChatClientException(None, "media/get answered JSON without media", client=client)
        result = runtime.http.get(url, timeout=(3, 30))
        result.raise_for_status()
        content_type = (result.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    allowed = runtime.settings.section("attachments").get("content_types", [])
    if content_type not in allowed:
        content_type = FALLBACK_TYPES.get(kind, content_type)
    return result.content, content_type


def _link(runtime: Runtime, row, stored: StoredFile) -> None:
    url = f"{runtime.settings.public_url}/attachments/{stored.token}"
    placeholder = attachment_id(row.media_id)
    urgent_case = None
    with runtime.engine.begin() as conn:
        query = select(tickets).where(tickets.c.id == row.ticket_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        ticket = conn.execute(query).one()
        data = dict(ticket.data)
        linked = None
        attachments = []
        for item in data.get("attachments") or []:
            if item.get("id") == placeholder:
                item = {"id": stored.id, "url": url, "content_type": stored.content_type}
                linked = item
            attachments.append(item)
        data["attachments"] = attachments
        now = runtime.clock()
        conn.execute(update(tickets).where(tickets.c.id == ticket.id).values(data=data, updated_at=now))
        conn.execute(update(wechat_media).where(wechat_media.c.id == row.id).values(
            status="done", attachment_id=stored.id, attempts=row.attempts + 1, last_error=None, updated_at=now))
        if linked and ticket.status in ("in_case", "delivered") and ticket.case_id is not None:
            fresh = conn.execute(select(tickets).where(tickets.c.id == ticket.id)).one()
            add_event(conn, ticket.case_id, "case.updated", fresh, extra={"update": {"attachments": [linked]}})
            urgent_case = (ticket.case_id, ticket.priority == "urgent")
    if urgent_case:
        runtime.queue.enqueue("deliver_case", urgent_case[0], urgent=urgent_case[1])


def _fail(runtime: Runtime, row, error: str, permanent: bool) -> None:
    # requests quotes the URL it failed on: WeChat's token URL carries the app secret, media/get the access token.
    error = redact(error)
    now = runtime.clock()
    attempts = row.attempts + 1
    expired = now - row.created_at > MEDIA_LIFETIME
    status = "failed" if permanent or expired else "pending"
    delay = timedelta(seconds=min(3600, 30 * 2 ** min(attempts, 10)))
    with runtime.engine.begin() as conn:
        conn.execute(update(wechat_media).where(wechat_media.c.id == row.id).values(
            status=status, attempts=attempts, last_error=error[:500], next_attempt_at=now + delay, updated_at=now))
    log.warning("wechat media %s of ticket %s: %s (%s)", row.media_id, row.ticket_id, error, status)


def fetch_media(runtime: Runtime, ticket_id: int) -> int:
    """Download the ticket's due media into the store and relink them; returns how many were stored."""
    now = runtime.clock()
    with runtime.engine.connect() as conn:
        status = conn.execute(select(tickets.c.status).where(tickets.c.id == ticket_id)).scalar()
        rows = conn.execute(select(wechat_media).where(
            wechat_media.c.ticket_id == ticket_id, wechat_media.c.status == "pending",
            wechat_media.c.next_attempt_at <= now).order_by(wechat_media.c.id)).all()
    # A `received` ticket is rewritten by the normalizer without a lock; relinking waits until it has run.
    if status is None or status == "received" or not rows:
        return 0
    try:
        client = make_client(runtime)
    except NotConfigured as exc:
        for row in rows:
            _fail(runtime, row, str(exc), permanent=False)
        return 0
    done = 0
    for row in rows:
        try:
            content, content_type = _download(runtime, client, row.media_id, row.kind)
            stored = store_file(runtime, io.BytesIO(content), content_type, row.media_id, "wechat")
        except AttachmentRejected as exc:
            _fail(runtime, row, f"{exc.code}: {exc.message}", permanent=True)
            continue
        except WeChatClientException as exc:
            _fail(runtime, row, f"wechat {exc.errcode}: {exc.errmsg}", exc.errcode in PERMANENT_ERRCODES)
            continue
        except requests.RequestException as exc:
            _fail(runtime, row, f"http: {exc}", permanent=False)
            continue
        _link(runtime, row, stored)
        done += 1
    return done
