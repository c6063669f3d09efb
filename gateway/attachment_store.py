"""The attachment store: files in a folder (by default `var/attachments`), reached by unguessable tokens."""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import insert, select

from gateway.private_files import open_private, private_dir
from gateway.runtime import Runtime
from gateway.tables import attachments

# Leading bytes of the types we accept, so that a page or a script cannot be stored as a "photo" and served
# back from our origin. Types without a fixed signature are checked only against the allow-list.
MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "audio/amr": (b"#!AMR",),
}


class AttachmentRejected(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class StoredFile:
    id: str
    token: str
    content_type: str
    size: int


def _check_type(content_type: str, head: bytes, allowed: list[str]) -> None:
    if content_type not in allowed:
        raise AttachmentRejected(415, "attachment_type", f"不支持的附件类型：{content_type[:100]}")
    signatures = MAGIC.get(content_type)
    if signatures and not head.startswith(signatures):
        raise AttachmentRejected(415, "attachment_content", "附件内容与声明的类型不符")
    if content_type == "image/webp" and not (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        raise AttachmentRejected(415, "attachment_content", "附件内容与声明的类型不符")


def _printable(name: str) -> str:
    # The name is only shown to people; PostgreSQL text cannot hold the NUL a hostile client may put in it.
    return "".join(ch for ch in name if ch.isprintable())


def store_file(runtime: Runtime, stream: BinaryIO, content_type: str, filename: str | None,
               uploaded_by: str | None) -> StoredFile:
    """Copy the stream into the store (size and type checked) and record it; returns its id and token."""
    cfg = runtime.settings.section("attachments")
    max_bytes = cfg.get("max_bytes", 20 * 1024 * 1024)
    folder = runtime.settings.attachments_dir
    private_dir(folder)
    file_id, token = secrets.token_hex(8), secrets.token_urlsafe(32)
    final = folder / file_id
    partial = folder / f".{file_id}.part"
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with open_private(partial) as out:
            while chunk := stream.read(65536):
                if not head:
                    head = chunk[:16]
                size += len(chunk)
                if size > max_bytes:
                    raise AttachmentRejected(413, "attachment_too_large", f"附件过大（最大 {max_bytes // 1048576} MB）")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise AttachmentRejected(400, "attachment_empty", "附件为空")
        _check_type(content_type, head, cfg.get("content_types", []))
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    with runtime.engine.begin() as conn:
        conn.execute(insert(attachments).values(
            id=file_id, token=token, content_type=content_type, size=size, sha256=digest.hexdigest(),
            path=file_id, filename=_printable(filename or "")[:200] or None, uploaded_by=uploaded_by,
            created_at=runtime.clock()))
    return StoredFile(file_id, token, content_type, size)


def find_file(runtime: Runtime, token: str) -> tuple[Path, str] | None:
    """The stored file's path and type for a token, or None."""
    if not token or len(token) > 64:
        return None
    with runtime.engine.connect() as conn:
        row = conn.execute(select(attachments.c.path, attachments.c.content_type)
                           .where(attachments.c.token == token)).first()
    if row is None:
        return None
    path = runtime.settings.attachments_dir / row.path
    return (path, row.content_type) if path.is_file() else None
