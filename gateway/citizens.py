"""One citizen across channels: identities (phone, WeChat openid, app user id) linked into one `citizens` record.

Tickets keep their channel identity (`tickets.citizen`, e.g. `phone:+86…`) and gain the citizen it belonged to
(`ticket_citizens`, and `extra.citizen_id` on the wire). A channel that tells us two identities at once (the app's
contact phone, a WeChat follower typing their number) links them, but only as a claim: anybody can type anybody's
number. Reports are shared between identities only when both are verified (the identity the record was made from,
or a phone confirmed with a code sent to it by SMS), so a claimed link never shows one person's reports to another.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from channels.phone import mask_phone
from gateway.tables import citizen_identities, citizens, phone_verifications, ticket_citizens
from gateway.upsert import insert_for

log = logging.getLogger(__name__)

KINDS = ("phone", "wechat", "app")
CODE_LIFETIME = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5


def identity_key(kind: str, value: str) -> str:
    """The identity as tickets name it (`tickets.citizen`): `phone:+8613800138000`, `wechat:o…`, `app:u-1`."""
    return f"{kind}:{value}"


def split_identity(key: str) -> tuple[str, str] | None:
    """(kind, value) of an identity key, or None for one that is not a linkable identity."""
    kind, sep, value = key.partition(":")
    return (kind, value) if sep and kind in KINDS and value else None


def _identity_row(conn: Connection, kind: str, value: str):
    return conn.execute(select(citizen_identities).where(citizen_identities.c.kind == kind,
                                                         citizen_identities.c.value == value)).first()


def ensure_identity(conn: Connection, kind: str, value: str, now: datetime, source: str | None = None) -> int:
    """The citizen id of this identity; a new citizen (with the identity as its verified root) when unknown."""
    row = _identity_row(conn, kind, value)
    if row is not None:
        return row.citizen_id
    citizen_id = conn.execute(insert(citizens).values(created_at=now, updated_at=now)
                              .returning(citizens.c.id)).scalar_one()
    # The unique (kind, value) is the claim: a concurrent twin inserts nothing here and uses the winner's row.
    inserted = conn.execute(insert_for(conn, citizen_identities).values(
        citizen_id=citizen_id, kind=kind, value=value, verified=True, verified_at=now, source=source,
        created_at=now).on_conflict_do_nothing().returning(citizen_identities.c.citizen_id)).first()
    if inserted is None:
        conn.execute(delete(citizens).where(citizens.c.id == citizen_id))
        return _identity_row(conn, kind, value).citizen_id
    return citizen_id


def link_claimed(conn: Connection, anchor: tuple[str, str], claimed: tuple[str, str], now: datetime,
                 source: str) -> int:
    """Record that the anchor identity's channel says `claimed` is the same person; returns the anchor's citizen.

    An unknown claimed identity joins the anchor's citizen unverified. One that already belongs to someone is left
    where it is: only a verification (`confirm_phone`) moves an identity between citizens.
    """
    citizen_id = ensure_identity(conn, *anchor, now, source)
    if _identity_row(conn, *claimed) is None:
        conn.execute(insert_for(conn, citizen_identities).values(
            citizen_id=citizen_id, kind=claimed[0], value=claimed[1], verified=False, source=source,
            created_at=now).on_conflict_do_nothing())
    return citizen_id


def visible_identities(conn: Connection, key: str) -> list[str]:
    """The identities whose reports `key` may see: itself, plus the verified identities of its citizen when it
    is verified itself."""
    parts = split_identity(key)
    if parts is None:
        return [key]
    row = _identity_row(conn, *parts)
    if row is None or not row.verified:
        return [key]
    others = conn.execute(select(citizen_identities.c.kind, citizen_identities.c.value).where(
        citizen_identities.c.citizen_id == row.citizen_id, citizen_identities.c.verified.is_(True))).all()
    return sorted({key} | {identity_key(o.kind, o.value) for o in others})


def record_ticket(conn: Connection, ticket_id: int, citizen_id: int, identity: str, now: datetime) -> None:
    """Remember which citizen a ticket's identity belonged to when it was filed."""
    conn.execute(insert_for(conn, ticket_citizens).values(ticket_id=ticket_id, citizen_id=citizen_id,
                                                          identity=identity, created_at=now).on_conflict_do_nothing())


def _code_hash(requester: str, phone: str, code: str) -> str:
    # Bound to who asked and for which number, so a code cannot be replayed for another pair.
    return hmac.new(code.encode(), f"{requester}\x1f{phone}".encode(), hashlib.sha256).hexdigest()


def start_phone_verification(conn: Connection, requester: str, phone: str, now: datetime) -> str:
    """A fresh 6-digit code for `requester` to prove they own `phone` (E.164); the caller texts it to `phone`."""
    code = f"{secrets.randbelow(10 ** 6):06d}"
    conn.execute(insert(phone_verifications).values(
        requester=requester, phone=phone, code_hash=_code_hash(requester, phone, code), attempts=0,
        expires_at=now + CODE_LIFETIME, created_at=now))
    log.info("verification code for %s sent to %s", requester, mask_phone(phone))
    return code


def confirm_phone(conn: Connection, requester: str, phone: str, code: str, now: datetime) -> bool:
    """True when `code` is the latest live code for (requester, phone): the phone then joins the requester's
    citizen as verified, and a citizen the phone verifiably belonged to is merged into it."""
    row = conn.execute(select(phone_verifications).where(
        phone_verifications.c.requester == requester, phone_verifications.c.phone == phone,
        phone_verifications.c.confirmed_at.is_(None)).order_by(phone_verifications.c.id.desc()).limit(1)).first()
    if row is None or row.expires_at < now or row.attempts >= MAX_CODE_ATTEMPTS:
        return False
    if not hmac.compare_digest(row.code_hash, _code_hash(requester, phone, (code or "").strip())):
        conn.execute(update(phone_verifications).where(phone_verifications.c.id == row.id)
                     .values(attempts=phone_verifications.c.attempts + 1))
        return False
    conn.execute(update(phone_verifications).where(phone_verifications.c.id == row.id).values(confirmed_at=now))
    parts = split_identity(requester)
    citizen_id = ensure_identity(conn, *parts, now, "verification") if parts else None
    if citizen_id is None:
        return False
    existing = _identity_row(conn, "phone", phone)
    if existing is None:
        conn.execute(insert(citizen_identities).values(
            citizen_id=citizen_id, kind="phone", value=phone, verified=True, verified_at=now, source="verification",
            created_at=now))
    elif existing.citizen_id != citizen_id and existing.verified:
        _merge(conn, existing.citizen_id, citizen_id, now)
    conn.execute(update(citizen_identities).where(citizen_identities.c.kind == "phone",
                                                  citizen_identities.c.value == phone)
                 .values(citizen_id=citizen_id, verified=True, verified_at=now))
    log.info("%s verified phone %s", requester, mask_phone(phone))
    return True


def _merge(conn: Connection, source_id: int, target_id: int, now: datetime) -> None:
    """Move every identity and ticket link of citizen `source_id` to `target_id` (the same person, proven)."""
    conn.execute(update(citizen_identities).where(citizen_identities.c.citizen_id == source_id)
                 .values(citizen_id=target_id))
    conn.execute(update(ticket_citizens).where(ticket_citizens.c.citizen_id == source_id)
                 .values(citizen_id=target_id))
    conn.execute(update(citizens).where(citizens.c.id == target_id).values(updated_at=now))
