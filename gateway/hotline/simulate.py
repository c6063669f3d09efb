"""`simulate hotline`: a call as the call-center system posts it, with an operator (or client) key."""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from config import Settings
from gateway.local_key import local_key_paths
from gateway.simulate import Outcome, SimulationError, error_text, json_body, post

DEFAULT_CALLER = "13700137000"


def hotline_key(settings: Settings) -> str:
    """The key a call-center system would use: a configured operator (else client) key, or the local one."""
    for role in ("operator", "client"):
        for key in settings.api_keys:
            if key.role == role:
                return key.secret
    if not settings.api_keys:
        for role, path in local_key_paths(settings).items():
            if Path(path).is_file():
                return Path(path).read_text().strip()
    raise SimulationError("no API key to call /channels/hotline with: set GATEWAY_API_KEYS with an operator or "
                          "client key, or run `python -m gateway serve` once to make the local keys")


def simulate_hotline(settings: Settings, base_url: str, text: str, sender: str | None) -> Outcome:
    """A call as the call-center system posts it, with an operator (or client) key."""
    call = {"call_id": f"simulate-{uuid.uuid4().hex[:12]}", "caller_number": sender or DEFAULT_CALLER, "transcript": text,
            "started_at": datetime.now(ZoneInfo(settings.timezone)).isoformat(timespec="seconds")}
    response = post(base_url + "/channels/hotline", json=call,
                     headers={"Authorization": f"Bearer {hotline_key(settings)}"})
    body = json_body(response)
    ok = response.status_code in (200, 201)
    if not ok:
        return Outcome(response.status_code, error_text(response), False)
    reply = body.get("message") or json.dumps(body, ensure_ascii=False)
    if body.get("reference") and body["reference"] not in reply:
        reply = f"{body['reference']}: {reply}"
    return Outcome(response.status_code, reply, True)
