"""Uploading a photo, recording or video for a report, and fetching it back by its link."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request, send_file

from gateway.attachment_store import AttachmentRejected, find_file, store_file
from gateway.web.auth import require_key
from gateway.web.errors import ApiError
from gateway.web.limits import refuse_if_limited

bp = Blueprint("attachments", __name__)


@bp.post("/api/v1/attachments")
@require_key()
def upload():
    """Multipart upload of one file (field `file`); 201 `{id, url}`."""
    runtime = current_app.extensions["gateway"]
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "请以 multipart/form-data 上传，文件字段名为 file")
    # The key's upload quota, counted before the body is read, by its declared size (an undeclared size is
    # capped by the largest upload anyway).
    refuse_if_limited(runtime.limits.check_upload(g.api_key.name, request.content_length or 0))
    files = request.files.getlist("file")
    if len(files) != 1:
        raise ApiError(400, "file_missing", "请上传且只上传一个文件（字段名 file）")
    upload_in = files[0]
    try:
        stored = store_file(runtime, upload_in.stream, upload_in.mimetype or "application/octet-stream",
                            upload_in.filename, g.api_key.name)
    except AttachmentRejected as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    url = f"{runtime.settings.public_url}/attachments/{stored.token}"
    return jsonify({"id": stored.id, "url": url, "content_type": stored.content_type, "size": stored.size}), 201


@bp.get("/attachments/<token>")
def download(token: str):
    """The stored file behind an unguessable link."""
    found = find_file(current_app.extensions["gateway"], token)
    if found is None:
        raise ApiError(404, "attachment_not_found", "附件不存在")
    path, content_type = found
    response = send_file(path, mimetype=content_type, max_age=86400)
    # A citizen's photo: the browser may keep it, a shared proxy or CDN must not.
    response.cache_control.public = False
    response.cache_control.private = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
