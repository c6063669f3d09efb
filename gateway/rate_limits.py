"""Rate limits: one flooding sender, key, address or partner is slowed down alone; everyone else is answered.

Each channel's intake asks `RateLimits.check(...)` with the identities of the request before it stores anything
(the citizen sender, the API key's name, the client address, the partner source) and refuses it when any of
them is over its limit; `check_upload` counts bytes against the key's upload quota. Limits are fixed windows
counted in Redis in production, so every web server shares them, and in the process in embedded mode (one
server). Identities are hashed before they become counter names: the counters hold no phone number or openid.
A limiter that cannot reach Redis lets the request through (logged): a limit must never lose a citizen's report.
"""
from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

log = logging.getLogger(__name__)

# (profile key in [limits], window in seconds) for each kind of identity. 0 in the profile turns a limit off.
KINDS = {
    "sender": ("sender_per_minute", 60),
    "key": ("key_per_minute", 60),
    "address": ("client_address_per_minute", 60),
    "source": ("source_per_minute", 60),
    "upload": ("upload_bytes_per_hour", 3600),
}
DEFAULTS = {"sender_per_minute": 20, "key_per_minute": 0, "client_address_per_minute": 0,
            "source_per_minute": 600, "upload_bytes_per_hour": 4 * 1024 ** 3}

# Every counter a request touches, in one round trip: KEYS are the counters, ARGV the (cost, window ms) of each.
_REDIS_HIT = """
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCRBY', key, ARGV[2 * i - 1])
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then redis.call('PEXPIRE', key, ARGV[2 * i]); ttl = tonumber(ARGV[2 * i]) end
  out[i] = {n, ttl}
end
return out
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0          # seconds until the fullest window over its limit starts again
    kind: str | None = None       # which limit refused


ALLOWED = Verdict(True)


class LocalCounters:
    """Fixed-window counters in this process (embedded mode: one server process)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.windows: dict[str, tuple[float, int]] = {}
        self.lock = threading.Lock()

    def hit(self, name: str, cost: int, window: int) -> tuple[int, float]:
        """Add `cost` to the counter; (its total in the current window, seconds until the window ends)."""
        now = self.clock()
        with self.lock:
            ends, total = self.windows.get(name, (0.0, 0))
            if ends <= now:
                ends, total = now + window, 0
                if len(self.windows) > 100_000:   # forget windows that ended, so a flood of names cannot grow it
                    self.windows = {k: v for k, v in self.windows.items() if v[0] > now}
            total += cost
            self.windows[name] = (ends, total)
        return total, ends - now

    def hit_many(self, hits: list[tuple[str, int, int]]) -> list[tuple[int, float]]:
        """`hit` for each (name, cost, window), in order."""
        return [self.hit(*one) for one in hits]


class RedisCounters:
    """Fixed-window counters in Redis, shared by every web server."""

    def __init__(self, url: str):
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # A counter is on the request path: a Redis that is away must cost a fraction of a second, once.
        self.redis = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0))
        self.script = self.redis.register_script(_REDIS_HIT)

    def hit(self, name: str, cost: int, window: int) -> tuple[int, float]:
        """Add `cost` to the counter; (its total in the current window, seconds until the window ends)."""
        return self.hit_many([(name, cost, window)])[0]

    def hit_many(self, hits: list[tuple[str, int, int]]) -> list[tuple[int, float]]:
        """`hit` for each (name, cost, window), all in one script call: one round trip however many limits."""
        args: list[int] = []
        for _name, cost, window in hits:
            args += [cost, window * 1000]
        answers = self.script(keys=[f"gateway:limit:{name}" for name, _c, _w in hits], args=args)
        return [(int(total), int(ttl_ms) / 1000) for total, ttl_ms in answers]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class RateLimits:
    """The limits of the profile's `[limits]` table, counted where every web server sees them."""

    def __init__(self, section: Mapping[str, Any], counters: LocalCounters | RedisCounters):
        self.limits = {kind: int(section.get(key, DEFAULTS[key]) or 0) for kind, (key, _w) in KINDS.items()}
        self.counters = counters
        self.trusted = [ipaddress.ip_network(net, strict=False) for net in section.get("trusted_proxies", [])]
        self._warned_at = 0.0

    def enabled(self, kind: str) -> bool:
        """True when the profile sets a limit of this kind."""
        return self.limits[kind] > 0

    def _hits(self, hits: list[tuple[str, str, int]]) -> Verdict:
        """Count each (kind, identity, cost) whose limit is on, in one call to the counters; the first refusal
        (the one whose window ends last), else ALLOWED."""
        counted = [(kind, f"{kind}:{_digest(ident)}", cost) for kind, ident, cost in hits
                   if ident and self.limits[kind] > 0]
        if not counted:
            return ALLOWED
        try:
            answers = self.counters.hit_many([(name, cost, KINDS[kind][1]) for kind, name, cost in counted])
        except Exception as exc:   # Redis away: let the report in rather than lose it
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                log.warning("rate limits not counted (letting requests through): %s", exc)
            return ALLOWED
        refused = [Verdict(False, max(1, int(remaining + 0.999)), kind)
                   for (kind, _name, _cost), (total, remaining) in zip(counted, answers) if total > self.limits[kind]]
        return max(refused, key=lambda v: v.retry_after) if refused else ALLOWED

    def check(self, *, senders: Iterable[str] = (), key: str | None = None, address: str | None = None,
              source: str | None = None) -> Verdict:
        """Count one request against each identity given; the first limit it is over, else ALLOWED."""
        hits = [("sender", s, 1) for s in dict.fromkeys(filter(None, senders))]
        hits += [("key", key or "", 1), ("address", address or "", 1), ("source", source or "", 1)]
        return self._hits(hits)

    def check_upload(self, key: str, size: int) -> Verdict:
        """Count `size` bytes against the key's upload quota."""
        return self._hits([("upload", key, max(0, size))])

    def client_address(self, remote_addr: str | None, forwarded_for: str | None) -> str | None:
        """The caller's address: the remote address, or behind the profile's `trusted_proxies` the first address
        of `X-Forwarded-For`, read from the right, that is not one of those proxies (the ones left of it are
        whatever the client wrote)."""
        if not remote_addr or not self._trusted(remote_addr) or not forwarded_for:
            return remote_addr
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return hop
        return hops[0] if hops else remote_addr

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)


_PHONE_DIGITS = re.compile(r"\D")


def phone_sender(phone: str | None) -> str | None:
    """One identity per phone number however it is written (+86 138…, 0086-138…, 138…)."""
    digits = _PHONE_DIGITS.sub("", phone or "")
    if not digits:
        return None
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            digits = digits[len(prefix):]
            break
    return f"phone:{digits}"


def ticket_senders(ticket) -> list[str]:
    """The citizen identities a ticket names: its citizen id (openid, app user id, phone) and its contact phone."""
    contact = getattr(ticket, "contact", None)
    citizen = ticket.citizen or ""
    found = [phone_sender(citizen[len("phone:"):]) if citizen.startswith("phone:") else citizen,
             phone_sender(getattr(contact, "phone", None) if contact else None)]
    return [ident for ident in dict.fromkeys(found) if ident]


def build_rate_limits(settings) -> RateLimits:
    """The limiter for this configuration: Redis counters in production, in-process ones in embedded mode."""
    section = settings.section("limits")
    counters = LocalCounters() if settings.embedded else RedisCounters(settings.redis_url)
    return RateLimits(section, counters)


def limited_message(retry_after: int) -> str:
    """What a citizen or a client reads when over a limit (Chinese first)."""
    return f"提交过于频繁，请 {retry_after} 秒后再试"
