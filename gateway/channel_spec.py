"""What a channel package hands the gateway: one `ChannelSpec`, listed once in `gateway.registry`.

The app, the job table, the queue, the sweeper and the OpenAPI document read these specs; none of them names a
channel, so adding one is a package plus its line in the registry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from flask import Blueprint

from config import Settings

# (job name, id, urgent): one piece of work the sweeper hands to the queue.
Work = tuple[str, int, bool]


@dataclass(frozen=True)
class ChannelSpec:
    """One channel's gateway side: its endpoints, when it is on, its jobs and the work it leaves for later."""

    name: str
    blueprint: Blueprint
    is_on: Callable[[Settings], bool]
    # job name -> fn(runtime, id); run by RQ as `gateway.jobs.<name>` and by the embedded worker.
    jobs: Mapping[str, Callable[[Any, int], Any]] = field(default_factory=dict)
    # fn(runtime, limit) -> [Work]: what the database says this channel still has to do (the queue is a hint).
    pending_work: Callable[[Any, int], list[Work]] | None = None
    openapi_paths: Mapping[str, dict] = field(default_factory=dict)
    # component name -> marshmallow schema class, for `$ref`s in `openapi_paths`.
    openapi_schemas: Mapping[str, type] = field(default_factory=dict)
    # fn(runtime, ticket row) -> gateway.notice_routes.Route | None: how a report's citizen hears of its case.
    notice_route: Callable[[Any, Any], Any] | None = None
    # route name -> fn(runtime, notice row) -> gateway.notice_routes.Outcome: how a notice goes out.
    notice_senders: Mapping[str, Callable[[Any, Any], Any]] = field(default_factory=dict)
    # `python -m gateway simulate NAME TEXT`: name -> fn(settings, base URL, text, sender or None) -> Outcome, a
    # message signed as the channel's sender would sign it (gateway/simulate.py).
    simulators: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # Parts that are switched on separately (SMS: Twilio and the uplink); by default the channel itself.
    parts: Callable[[Settings], Mapping[str, bool]] | None = None

    def states(self, settings: Settings) -> dict[str, bool]:
        """Which parts of the channel are on with these settings (for the start-up log)."""
        if self.parts is not None:
            return dict(self.parts(settings))
        return {self.name: bool(self.is_on(settings))}
