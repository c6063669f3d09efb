"""The local API key `serve` makes when GATEWAY_API_KEYS is not set, so a trial works at once."""
from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

from config import ApiKey, Settings


def ensure_local_key(settings: Settings) -> tuple[Settings, ApiKey | None]:
    """Settings with a `local` client key (created once, kept in var/api-key) when none is configured."""
    if settings.api_keys:
        return settings, None
    path = Path(settings.var_dir) / "api-key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        secret = path.read_text().strip()
    else:
        secret = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret + "\n")
    key = ApiKey("local", secret, "client")
    return replace(settings, api_keys=(key,)), key
