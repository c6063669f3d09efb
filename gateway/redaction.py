"""Secrets, tokens and signatures kept out of every log line and every stored error.

Errors of HTTP libraries quote the URL they failed on, query string included, and WeChat's token URL carries
`secret=`, its media URL `access_token=`, the SMS uplink `token=`. So every log record is redacted as it is made
(a record factory: it covers every logger, ours, werkzeug's, urllib3's, gunicorn's), and every error the gateway
stores goes through `redact` first. Redacted: the value of every URL query parameter, any `name=value` whose name
says secret, an `Authorization` credential, and the configured secrets themselves wherever they appear.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Iterable
from urllib.parse import urlsplit

MASK = "[redacted]"
# A URL's query string (absolute URL, or a path as urllib3 quotes it: "with url: /cgi-bin/token?…").
_QUERY = re.compile(r"(?P<head>(?:[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#'\"<>]*)?/[^\s?#'\"<>]*)\?(?P<query>[^\s#'\"<>)\]]+)")
_PARAM = re.compile(r"(?P<name>[^&=;]+)=(?P<value>[^&;]*)")
# name=value or name: value pairs whose name says secret, in forms, JSON-ish text and headers.
_NAMED = re.compile(r"(?i)(?P<name>\b(?:[\w-]*secret|[\w-]*token|[\w-]*signature|sign|password|passwd|pwd|"
                    r"api[_-]?key|access[_-]?key[\w-]*)[\"']?\s*[=:]\s*[\"']?)(?P<value>[^\s&,;\"'}]+)")
_BEARER = re.compile(r"(?i)\b(?P<scheme>Bearer|Basic)\s+(?P<value>[^\s,;\"']+)")
# Too short to search for without masking ordinary words.
_MIN_SECRET = 6

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def _query(match: re.Match) -> str:
    params = "&".join(f"{p.group('name')}={MASK}" for p in _PARAM.finditer(match.group("query")))
    return f"{match.group('head')}?{params or MASK}"


def redact(text: str | None, secrets: Iterable[str] = ()) -> str | None:
    """`text` without query-string values, secret-named values, credentials or the known secrets."""
    if not text:
        return text
    for secret in sorted({*_secrets, *secrets}, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET and secret in text:
            text = text.replace(secret, MASK)
    text = _QUERY.sub(_query, text)
    text = _NAMED.sub(lambda m: m.group("name") + MASK, text)
    return _BEARER.sub(lambda m: f"{m.group('scheme')} {MASK}", text)


def settings_secrets(settings) -> set[str]:
    """Every secret a configuration holds (keys, tokens, passwords inside service URLs)."""
    found = {key.secret for key in settings.api_keys} | set(settings.webhook_secrets.values())
    for name in ("sms_uplink_token", "wechat_token", "wechat_app_secret", "wechat_aes_key", "twilio_auth_token",
                 "downstream_secret", "secret_key", "aliyun_sms_access_key_secret", "app_callback_secret"):
        found.add(getattr(settings, name, None) or "")
    for url in (settings.database_url, settings.redis_url):
        try:
            found.add(urlsplit(url or "").password or "")
        except ValueError:
            pass
    return {secret for secret in found if secret}


def install_log_redaction(secrets: Iterable[str] = ()) -> None:
    """Redact every log record this process makes from now on (idempotent; adds `secrets` to the known ones)."""
    global _installed
    with _lock:
        _secrets.update(s for s in secrets if s)
        if _installed:
            return
        _installed = True
        previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:   # a bad format string is the logging module's to report, as usual
            return record
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
