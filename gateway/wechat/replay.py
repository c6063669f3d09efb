"""Plain-mode replay guard: a captured signed query string cannot carry another body.

In plain (and compatible) mode WeChat signs only token, timestamp and nonce, not the body, so anyone who saw one
push's URL could post any XML with it while the timestamp is fresh. Each signed query string is remembered with
a digest of its body for as long as its timestamp is accepted: the same query with the same body is WeChat's
own retry (and gets the first answer through the MsgId); the same query with another body is refused. Kept in
Redis in production (every web server sees it), in the process in embedded mode (one server).
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time

log = logging.getLogger(__name__)


class SeenQueries:
    """Signed query strings seen lately, each with its body's digest."""

    def __init__(self, redis_url: str | None, window_seconds: int):
        self.window = max(1, int(window_seconds))
        self.local: dict[str, tuple[float, str]] = {}
        self.lock = threading.Lock()
        self.redis = None
        if redis_url:
            from redis import Redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self.redis = Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=0.5,
                                        retry=Retry(NoBackoff(), 0))

    def same_body(self, signature: str, timestamp: str, nonce: str, body: bytes) -> bool:
        """True for the first body seen with this signed query (and its retries); False for another body."""
        key = "gateway:wechat-query:" + hashlib.sha256(f"{signature}|{timestamp}|{nonce}".encode()).hexdigest()
        digest = hashlib.sha256(body).hexdigest()
        if self.redis is not None:
            try:
                if self.redis.set(key, digest, nx=True, ex=self.window):
                    return True
                seen = self.redis.get(key)
                return seen is None or seen.decode() == digest
            except Exception as exc:   # Redis away: the signature check alone, as before, rather than refuse WeChat
                log.warning("wechat replay guard not checked: %s", exc)
                return True
        now = time.monotonic()
        with self.lock:
            if len(self.local) > 100_000:
                self.local = {k: v for k, v in self.local.items() if v[0] > now}
            until, seen = self.local.get(key, (0.0, ""))
            if until > now:
                return seen == digest
            self.local[key] = (now + self.window, digest)
            return True
