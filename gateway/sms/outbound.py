"""Outbound SMS: one small protocol, Twilio and a domestic provider (Aliyun SMS) behind it, and an outbox.

Texts are written to `sms_outbox` in the transaction that decides them (a reply to an uplink push, a notice, a
verification code) and sent by the `send_sms` job, so a provider outage delays a text and never loses it. A
temporary failure is retried with backoff; a text whose provider has no credentials here waits, without using
its attempts, until a restart brings them; a permanent one (a refused number, a bad template) or running out of
attempts leaves the row `failed`, with its last error, for operations to see (`failed_texts`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests
from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels.phone import mask_phone
from gateway.redaction import redact
from gateway.runtime import Runtime
from gateway.tables import sms_outbox
from gateway.upsert import insert_for

log = logging.getLogger(__name__)

JOB = "send_sms"
PROVIDERS = ("twilio", "aliyun")


class SendFailed(Exception):
    """The provider did not take the text; `permanent` when trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class NotConfigured(SendFailed):
    """The provider's credentials are missing: the text waits, without using an attempt, until they are set."""


class SmsSender(Protocol):
    """Sends one text; returns the provider's message id or raises SendFailed."""

    name: str

    def send(self, to: str, body: str) -> str: ...


class RoutedTwilioHttpClient(TwilioHttpClient):
    """twilio's HTTP client, with every request sent to `base_url` instead of https://*.twilio.com when set
    (a corporate proxy, or a local fake of Twilio's API in tests); the path and query are kept."""

    def __init__(self, base_url: str | None = None, timeout: float = 10):
        super().__init__(timeout=timeout)
        self.base_url = (base_url or "").rstrip("/") or None

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        if self.base_url:
            parts = urlsplit(url)
            url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                               timeout=timeout, allow_redirects=allow_redirects)


class TwilioSender:
    """Twilio's Messages API through twilio.rest.Client (with an injected HTTP client)."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, http_client: TwilioHttpClient):
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number

    def send(self, to: str, body: str) -> str:
        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioRestException as exc:
            # 4xx are refusals (invalid number, unsubscribed recipient 21610 …) except throttling and timeouts.
            permanent = 400 <= exc.status < 500 and exc.status not in (408, 429)
            raise SendFailed(f"twilio {exc.status} {exc.code}: {exc.msg}", permanent) from None
        except (TwilioException, requests.RequestException) as exc:
            raise SendFailed(f"twilio: {type(exc).__name__}: {exc}") from None
        return message.sid


def _pe(value: str) -> str:
    return quote(value, safe="~")


def aliyun_signature(secret: str, params: dict[str, str], method: str = "GET") -> str:
    """Aliyun's RPC signature (v1): HMAC-SHA1 over the sorted, percent-encoded query, key = secret + "&"."""
    canonical = "&".join(f"{_pe(k)}={_pe(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_pe('/')}&{_pe(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class AliyunSender:
    """Aliyun SMS (dysmsapi SendSms). Domestic texts go out through an approved template; the text is its one
    parameter (`[sms.aliyun] template_param`)."""

    name = "aliyun"
    RETRYABLE = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "SignatureNonceUsed", "ServiceUnavailable",
                 "InternalError")

    def __init__(self, access_key_id: str, access_key_secret: str, cfg: dict[str, Any], http: requests.Session):
        self.key_id, self.secret, self.http = access_key_id, access_key_secret, http
        self.endpoint = cfg.get("endpoint") or "https://dysmsapi.aliyuncs.com/"
        self.sign_name, self.template = cfg.get("sign_name", ""), cfg.get("template_code", "")
        self.param = cfg.get("template_param", "content")
        self.timeout = float(cfg.get("timeout_seconds", 10))

    def send(self, to: str, body: str) -> str:
        # Aliyun wants mainland numbers without +86, others with their 00 international prefix.
        number = to[3:] if to.startswith("+86") else ("00" + to[1:] if to.startswith("+") else to)
        params = {
            "Action": "SendSms", "Version": "2017-05-25", "Format": "JSON", "RegionId": "cn-hangzhou",
            "AccessKeyId": self.key_id, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
            "SignatureNonce": uuid.uuid4().hex, "Timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "PhoneNumbers": number, "SignName": self.sign_name, "TemplateCode": self.template,
            "TemplateParam": json.dumps({self.param: body}, ensure_ascii=False),
        }
        params["Signature"] = aliyun_signature(self.secret, params)
        try:
            response = self.http.get(self.endpoint, params=params, timeout=self.timeout)
            result = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise SendFailed(f"aliyun: {type(exc).__name__}") from None
        code = str(result.get("Code") or response.status_code)
        if code == "OK":
            return str(result.get("BizId") or "")
        retry = response.status_code >= 500 or any(code.startswith(c) for c in self.RETRYABLE)
        raise SendFailed(f"aliyun {code}: {result.get('Message')}", permanent=not retry)


def _aliyun_keys(runtime: Runtime) -> tuple[str | None, str | None, dict[str, Any]]:
    """Aliyun's key id and secret (the profile's `[sms.aliyun]` wins over the environment) and its other settings."""
    s = runtime.settings
    cfg = dict(s.section("sms").get("aliyun") or {})
    return (cfg.pop("access_key_id", None) or s.aliyun_sms_access_key_id,
            cfg.pop("access_key_secret", None) or s.aliyun_sms_access_key_secret, cfg)


def missing_credentials(runtime: Runtime, provider: str) -> str | None:
    """Why `provider` cannot send with this runtime's settings, or None when it can."""
    s = runtime.settings
    if provider == "twilio":
        if not (s.twilio_account_sid and s.twilio_auth_token and s.twilio_from_number):
            return "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER are needed to send"
        return None
    if provider == "aliyun":
        key_id, secret, _ = _aliyun_keys(runtime)
        return None if key_id and secret else \
            "ALIYUN_SMS_ACCESS_KEY_ID and ALIYUN_SMS_ACCESS_KEY_SECRET are needed to send"
    return f"unknown SMS provider {provider!r}"


def make_sender(runtime: Runtime, provider: str) -> SmsSender:
    """The sender for `provider` with this runtime's credentials; NotConfigured when they are missing."""
    missing = missing_credentials(runtime, provider)
    if missing:
        raise NotConfigured(missing)
    s = runtime.settings
    if provider == "twilio":
        cfg = s.section("sms").get("twilio") or {}
        http = RoutedTwilioHttpClient(cfg.get("api_base_url"), float(cfg.get("timeout_seconds", 10)))
        return TwilioSender(s.twilio_account_sid, s.twilio_auth_token, s.twilio_from_number, http)
    key_id, secret, cfg = _aliyun_keys(runtime)
    return AliyunSender(key_id, secret, cfg, runtime.http)


def configured_providers(runtime: Runtime) -> list[str]:
    """The providers this runtime can send through; texts for the others wait in the outbox."""
    return [p for p in PROVIDERS if missing_credentials(runtime, p) is None]


def queue_sms(conn: Connection, runtime: Runtime, *, key: str, provider: str, to: str, body: str,
              later: list, ticket_id: int | None = None) -> None:
    """Put a text in the outbox within the caller's transaction; `key` makes a repeat harmless."""
    now = runtime.clock()
    stmt = insert_for(conn, sms_outbox).values(
        idem_key=key[:300], provider=provider, to_phone=to, body=body, ticket_id=ticket_id, status="pending",
        attempts=0, next_attempt_at=now, created_at=now)
    row = conn.execute(stmt.on_conflict_do_nothing().returning(sms_outbox.c.id)).first()
    if row is not None:
        later.append((JOB, row.id, False))


def pending_sms_work(runtime: Runtime, limit: int = 500) -> list[tuple[str, int, bool]]:
    """(job, outbox id, urgent) for texts due to be sent; for the sweeper."""
    now = runtime.clock()
    with runtime.engine.connect() as conn:
        # A text whose provider has no credentials waits untouched (no attempt used) until a restart brings them.
        rows = conn.execute(select(sms_outbox.c.id).where(
            sms_outbox.c.status == "pending", sms_outbox.c.next_attempt_at <= now,
            sms_outbox.c.provider.in_(configured_providers(runtime)),
            or_(sms_outbox.c.lease_until.is_(None), sms_outbox.c.lease_until < now))
            .order_by(sms_outbox.c.id).limit(limit)).all()
    return [(JOB, r.id, False) for r in rows]


def failed_texts(runtime: Runtime, limit: int = 100) -> list[dict[str, Any]]:
    """The texts that could not be sent (newest first), phones masked: what operations look at."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(sms_outbox).where(sms_outbox.c.status == "failed")
                            .order_by(sms_outbox.c.failed_at.desc()).limit(limit)).all()
    return [{"id": r.id, "provider": r.provider, "to": mask_phone(r.to_phone), "attempts": r.attempts,
             "last_error": r.last_error, "failed_at": r.failed_at.isoformat() if r.failed_at else None}
            for r in rows]


def _backoff(cfg, attempts: int) -> timedelta:
    base, cap = float(cfg.get("retry_base_seconds", 30)), float(cfg.get("retry_max_seconds", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)) * random.uniform(0.8, 1.0))


def send_one(runtime: Runtime, outbox_id: int) -> str | None:
    """Send one outbox text if it is due and this call wins its lease; returns its new status (None: not ours;
    "waiting": its provider has no credentials here, so it stays pending with its attempts untouched)."""
    cfg = runtime.settings.section("sms").get("outbound") or {}
    now = runtime.clock()
    with runtime.engine.connect() as conn:
        provider = conn.execute(select(sms_outbox.c.provider).where(sms_outbox.c.id == outbox_id)).scalar()
    missing = missing_credentials(runtime, provider) if provider else None
    if missing:
        # Configuration, not the provider, is what is missing: trying would only use up the text's attempts.
        log.info("SMS %s waits in the outbox: %s (sent once they are set and the gateway restarted)",
                 outbox_id, missing)
        return "waiting"
    with runtime.engine.begin() as conn:
        won = conn.execute(update(sms_outbox).where(
            sms_outbox.c.id == outbox_id, sms_outbox.c.status == "pending", sms_outbox.c.next_attempt_at <= now,
            or_(sms_outbox.c.lease_until.is_(None), sms_outbox.c.lease_until < now))
            .values(lease_until=now + timedelta(seconds=60))).rowcount
        row = conn.execute(select(sms_outbox).where(sms_outbox.c.id == outbox_id)).first() if won else None
    if row is None:
        return None
    values: dict[str, Any] = {"attempts": row.attempts + 1, "lease_until": None}
    try:
        values.update(status="sent", sent_at=runtime.clock(), last_error=None,
                      provider_message_id=make_sender(runtime, row.provider).send(row.to_phone, row.body)[:100])
    except SendFailed as exc:
        values["last_error"] = redact(str(exc))[:1000]   # a provider URL or signature must not be kept
        if exc.permanent or values["attempts"] >= int(cfg.get("max_attempts", 8)):
            values.update(status="failed", failed_at=runtime.clock())
            log.error("SMS %s to %s failed for good after %s attempts: %s", row.id, mask_phone(row.to_phone),
                      values["attempts"], exc)
        else:
            values["next_attempt_at"] = runtime.clock() + _backoff(cfg, values["attempts"])
            log.warning("SMS %s to %s failed (attempt %s), will retry: %s", row.id, mask_phone(row.to_phone),
                        values["attempts"], exc)
    with runtime.engine.begin() as conn:
        conn.execute(update(sms_outbox).where(sms_outbox.c.id == outbox_id).values(**values))
    return values.get("status", "pending")
