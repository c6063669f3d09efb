"""Talking to the hotline channel the way the call-center system does, and reading what the gateway stored."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from gateway.tables import tickets
from tests.harness.gateway import CLIENT_KEY

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hotline"


def fixture(name: str) -> bytes:
    """A fixture file's exact bytes."""
    return (FIXTURES / name).read_bytes()


def call(name: str, **changes: Any) -> dict[str, Any]:
    """A call fixture as a dict, with `changes` on top (None removes a field)."""
    body = json.loads(fixture(name))
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def post_hotline(gw, body: Any = None, *, raw: bytes | None = None, key: str | None = CLIENT_KEY,
                 headers: dict | None = None):
    """POST /channels/hotline as the call-center system (a client key) does."""
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    hdrs = {"Authorization": f"Bearer {key}" if key else None, "Content-Type": "application/json"}
    hdrs.update(headers or {})
    return gw.client.post("/channels/hotline", data=data,
                          headers={k: v for k, v in hdrs.items() if v is not None})


def count(gw, table=tickets) -> int:
    """Rows in a table."""
    with gw.runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def stored(gw, reference: str) -> dict[str, Any]:
    """The stored ticket's wire format."""
    with gw.runtime.engine.connect() as conn:
        return conn.execute(select(tickets.c.data).where(tickets.c.reference == reference)).scalar_one()
