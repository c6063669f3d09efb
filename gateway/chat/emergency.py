"""The advice a chat channel says first when a message reads like an emergency (12345 is no 110/119/120)."""
from __future__ import annotations

from gateway.runtime import Runtime


def emergency_advice(runtime: Runtime, text: str | None) -> str:
    """The normalizer's emergency advice for `text` ("" when it reads like no emergency)."""
    check = getattr(runtime.normalizer, "quick_emergency", None)
    if not text or check is None:
        return ""
    result = check(text) or {}
    return (result.get("advice") or "") if result.get("emergency") else ""
