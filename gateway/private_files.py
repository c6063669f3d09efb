"""Files and folders only the gateway's own user may read: the embedded database, attachments, keys.

They hold citizens' numbers, photos and the gateway's secrets, so `var/` is 0700 and its files 0600 whatever
the process umask says.
"""
from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: str | os.PathLike, *, tighten: bool = True) -> Path:
    """Create the folder (and missing parents) 0700; with `tighten`, an existing one becomes 0700 too."""
    path = Path(path)
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if tighten or not existed:
        try:
            os.chmod(path, DIR_MODE)
        except PermissionError:   # not ours to change (a shared mount): leave it as the owner set it
            pass
    return path


def private_file(path: str | os.PathLike) -> None:
    """Make sure the file exists and is 0600 (created empty when missing)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    try:
        os.chmod(path, FILE_MODE)
    except PermissionError:
        pass


def open_private(path: str | os.PathLike, mode: str = "wb"):
    """open(path, mode) for a new file, created 0600."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    return os.fdopen(os.open(path, flags, FILE_MODE), mode)
