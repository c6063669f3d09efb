"""The local API keys `serve` makes when GATEWAY_API_KEYS is not set, so a trial works at once.

Two keys, because the app channel needs only a `client` key while the case API (`/api/v1/cases/…`) and the
contact details of a ticket need an `operator` one. Setting GATEWAY_API_KEYS replaces both.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

from config import ApiKey, Settings
from config.settings import check_secret
from gateway.private_files import private_dir

# (key name, role, file under var/): the names a trial's requests are logged under.
LOCAL_KEYS = (("local", "client", "api-key"), ("local-operator", "operator", "operator-key"))


def _secret_in(path: Path) -> str:
    """The secret kept in `path`, made (readable by the owner only) the first time."""
    if path.is_file():
        secret = path.read_text().strip(" \t\r\n")
        if secret:
            check_secret(str(path), secret)   # a short secret someone wrote there is refused, not used
            return secret
        path.unlink()
    secret = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    return secret


def local_key_paths(settings: Settings) -> dict[str, Path]:
    """Role → the file its local key is kept in."""
    return {role: Path(settings.var_dir) / file for _, role, file in LOCAL_KEYS}


def ensure_local_keys(settings: Settings) -> tuple[Settings, tuple[ApiKey, ...]]:
    """Settings with a local `client` and `operator` key (made once, kept under var/) when none is configured."""
    if settings.api_keys:
        return settings, ()
    private_dir(settings.var_dir)
    keys = tuple(ApiKey(name, _secret_in(Path(settings.var_dir) / file), role) for name, role, file in LOCAL_KEYS)
    return replace(settings, api_keys=keys), keys
