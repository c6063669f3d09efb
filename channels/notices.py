"""What a citizen is told when their case moves on, and when such a text may go out (quiet hours). Pure functions.

A city overrides any template in its profile's `[notify.templates]`; placeholders: {city}, {references} (the
citizen's own references in the case, joined with 、), {status} (the status in words), {unit}, {message} (the
case system's reply text), {unit_part} and {message_part} (the same with their lead-in, empty when missing).
"""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Mapping

DEFAULT_TEMPLATES = {
    "accepted": "【{city}12345】您反映的问题（编号 {references}）已由承办单位受理{unit_part}，我们会及时告知办理结果。",
    "assigned": "【{city}12345】您反映的问题（编号 {references}）已派单{unit_part}，正在办理。",
    "resolved": "【{city}12345】您反映的问题（编号 {references}）已办理完毕{unit_part}。{message_part}",
    "closed": "【{city}12345】您反映的问题（编号 {references}）已办结{unit_part}。{message_part}",
    "rate_prompt": "请回复数字评价：1 满意，2 基本满意，3 不满意。",
    "unit_part": "（承办单位：{unit}）",
    "message_part": "办理情况：{message}",
    "callback": "请回电告知来电人：编号 {references} 的诉求{status}{unit_part}。{message_part}",
}

STATUS_WORDS = {"accepted": "已受理", "assigned": "已派单办理", "resolved": "已办理完毕", "closed": "已办结"}
# The statuses after which a citizen may rate the answer (and the first notice of one asks for it).
RATABLE = ("resolved", "closed")

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _template(templates: Mapping[str, str], name: str) -> str:
    return templates.get(name) or DEFAULT_TEMPLATES[name]


def render_notice(templates: Mapping[str, str], *, template: str, status: str, references: list[str], city: str,
                  unit: str | None, message: str | None, asks_rating: bool) -> str:
    """The notice text in Chinese; `template` is the status name, or `callback` for an operator's script."""
    values = {"city": city, "references": "、".join(references), "status": STATUS_WORDS.get(status, status),
              "unit": unit or "", "message": message or ""}
    values["unit_part"] = _template(templates, "unit_part").format(**values) if unit else ""
    values["message_part"] = _template(templates, "message_part").format(**values) if message else ""
    body = _template(templates, template if template in DEFAULT_TEMPLATES or template in templates else "accepted")
    text = body.format(**values).strip()
    if asks_rating:
        text = f"{text}{_template(templates, 'rate_prompt')}"
    return text


def parse_quiet_hours(value: str | None) -> tuple[time, time] | None:
    """`"22:00-08:00"` → (22:00, 08:00); `""` or None → no quiet hours. Raises ValueError on another form."""
    if not value:
        return None
    match = _WINDOW.match(value)
    if not match:
        raise ValueError(f"quiet_hours must look like 22:00-08:00, not {value!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return time(h1, m1), time(h2, m2)


def quiet_until(local_now: datetime, window: tuple[time, time] | None) -> datetime | None:
    """The end of the quiet period `local_now` falls in (same zone), or None when texts may go out now."""
    if window is None:
        return None
    start, end = window
    clock = local_now.time().replace(tzinfo=None)
    if start == end:
        return None
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local_now.date() if clock < end else local_now.date() + timedelta(days=1)
    return local_now.replace(year=day.year, month=day.month, day=day.day, hour=end.hour, minute=end.minute,
                             second=0, microsecond=0)
