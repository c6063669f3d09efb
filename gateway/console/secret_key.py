"""The key that signs console session cookies: GATEWAY_SECRET_KEY, or one made once and kept under var/."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from config.settings import ConfigError, check_secret
from gateway.private_files import private_dir


def console_secret_key(var_dir: Path, given: str | None = None) -> str:
    """GATEWAY_SECRET_KEY when set (several servers must share it), else var/console-secret (created once)."""
    if given:
        return given
    path = private_dir(var_dir) / "console-secret"
    if not path.exists():
        # Written whole under a name of its own, then linked into place: several processes starting at once
        # either make the file or find it complete, never empty or half-written (link fails if it exists).
        temp = path.with_name(f".console-secret.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
    key = path.read_text().strip(" \t\r\n")
    try:
        check_secret(str(path), key)
    except ConfigError:
        raise ConfigError(f"{path} holds no usable key (empty or short): delete it, or set GATEWAY_SECRET_KEY") \
            from None
    return key
