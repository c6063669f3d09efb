"""The rate limits as the JSON endpoints apply them: the caller's address, and a 429 with `Retry-After`."""
from __future__ import annotations

from flask import current_app, request

from gateway.rate_limits import RateLimits, Verdict, limited_message, ticket_senders
from gateway.web.errors import ApiError


def limits() -> RateLimits:
    """This app's limiter."""
    return current_app.extensions["gateway"].limits


def request_address() -> str | None:
    """The client's address (the first untrusted hop of X-Forwarded-For behind the profile's trusted proxies)."""
    return limits().client_address(request.remote_addr, request.headers.get("X-Forwarded-For"))


def refuse_if_limited(verdict: Verdict) -> None:
    """A 429 with `Retry-After` when the verdict refuses; nothing has been stored at this point."""
    if not verdict.allowed:
        raise ApiError(429, "rate_limited", limited_message(verdict.retry_after),
                       headers={"Retry-After": str(verdict.retry_after)})


def refuse_limited_report(ticket, *, source: str | None = None) -> None:
    """429 when the report's citizen sender (or its partner source) is over its limit; counted before storing."""
    verdict = limits().check(senders=ticket_senders(ticket), source=source)
    if not verdict.allowed:
        current_app.extensions["gateway_metrics"].submission(ticket.channel, "limited")
    refuse_if_limited(verdict)
