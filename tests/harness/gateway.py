"""Building a gateway for a test and talking to it the way its callers do."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from channels.signing import signed_headers
from config import load_settings
from gateway.app import create_app
from gateway.embedded import run_pending
from gateway.runtime import Runtime, build_runtime

CLIENT_KEY = "client-secret-0001"   # 16 characters at least: the gateway refuses shorter secrets
OPERATOR_KEY = "operator-secret-1"
SUPERVISOR_KEY = "supervisor-secret-1"
PARTNER_SECRET = "partner-110-secret"
DOWNSTREAM_SECRET = "case-system-secret"


def test_environ(database_url: str, var_dir, **extra: str) -> dict[str, str]:
    """The environment a test gateway runs with."""
    env = {
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_VAR_DIR": str(var_dir),
        "GATEWAY_API_KEYS": f"app:{CLIENT_KEY},ops:{OPERATOR_KEY}:operator,lead:{SUPERVISOR_KEY}:supervisor",
        "GATEWAY_WEBHOOK_SECRETS": f"110:{PARTNER_SECRET}",
        "DOWNSTREAM_SECRET": DOWNSTREAM_SECRET,
    }
    env.update(extra)
    return env


test_environ.__test__ = False  # a helper, not a test, whatever pytest makes of its name


@dataclass
class Gateway:
    """An app with its runtime and a test client; `drain()` runs the pipeline to the end."""

    app: Any
    runtime: Runtime

    @property
    def client(self):
        return self.app.test_client()

    def drain(self) -> int:
        return run_pending(self.runtime)

    def post_app(self, body: Any, *, key: str = CLIENT_KEY, idem: str | None = None, raw: bytes | None = None,
                 headers: dict | None = None):
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        hdrs = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                "Idempotency-Key": idem or uuid.uuid4().hex}
        hdrs.update(headers or {})
        return self.client.post("/channels/app", data=data, headers={k: v for k, v in hdrs.items() if v is not None})

    def post_signed(self, path: str, body: Any, *, secret: str, event_id: str | None = None,
                    raw: bytes | None = None, now: float | None = None):
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        hdrs = signed_headers(secret, event_id or uuid.uuid4().hex, data, now or time.time())
        hdrs["Content-Type"] = "application/json"
        return self.client.post(path, data=data, headers=hdrs)

    def get(self, path: str, key: str = CLIENT_KEY):
        return self.client.get(path, headers={"Authorization": f"Bearer {key}"})


def make_gateway(database_url: str, var_dir, *, profile: dict | None = None, **env: str) -> Gateway:
    """A gateway on `database_url` whose pipeline the test drives with `drain()`."""
    settings = load_settings(environ=test_environ(database_url, var_dir, **env), dotenv_path=None,
                             overrides={"profile": profile} if profile else None)
    runtime = build_runtime(settings)
    return Gateway(create_app(runtime=runtime, start_worker=False), runtime)
