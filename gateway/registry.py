"""The channels this gateway serves, each registered once, by its package's `SPEC`."""
from __future__ import annotations

from gateway import dingtalk, hotline, mobile_app, partner_webhook, sms, wechat
from gateway.channel_spec import ChannelSpec

CHANNELS: tuple[ChannelSpec, ...] = (mobile_app.SPEC, partner_webhook.SPEC, wechat.SPEC, hotline.SPEC, sms.SPEC,
                                     dingtalk.SPEC)


def channel_jobs() -> dict:
    """Every channel's jobs, by name (a name used twice is a mistake caught at import)."""
    jobs: dict = {}
    for spec in CHANNELS:
        for name, fn in spec.jobs.items():
            if name in jobs:
                raise RuntimeError(f"job {name} registered by two channels")
            jobs[name] = fn
    return jobs
