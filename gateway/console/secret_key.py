"""The key that signs console session cookies: GATEWAY_SECRET_KEY, or one made once and kept under var/."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def console_secret_key(var_dir: Path, given: str | None = None) -> str:
    """GATEWAY_SECRET_KEY when set (several servers must share it), else var/console-secret (created once)."""
    if given:
        return given
    path = Path(var_dir) / "console-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()
