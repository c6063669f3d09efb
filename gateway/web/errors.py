"""Every error as a clear JSON body: `{"error": code, "message": 中文说明, "fields": {...}}`; never an HTML page."""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from channels.errors import ChannelError

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "缺少或错误的凭证"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "未找到"),
    405: ("method_not_allowed", "不支持此请求方法"),
    409: ("conflict", "请求冲突"),
    413: ("body_too_large", "请求体过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("invalid_fields", "请求字段有误"),
    503: ("unavailable", "服务暂时不可用，请稍后重试"),
}


class ApiError(Exception):
    """An error answered as JSON with this status."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None,
                 fields: dict | None = None, headers: dict | None = None):
        default_code, default_message = HTTP_MESSAGES.get(status, ("error", "请求失败"))
        super().__init__(code or default_code)
        self.status, self.code, self.message = status, code or default_code, message or default_message
        self.fields, self.headers = fields or {}, headers or {}


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None):
    """The JSON error body and status."""
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """JSON for every error, 503 (retry later) when the store is unreachable."""

    @app.errorhandler(ApiError)
    def _api(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.errorhandler(ChannelError)
    def _channel(exc: ChannelError):
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code, message = HTTP_MESSAGES.get(exc.code or 500, ("error", exc.name))
        # Keep what the exception says besides its HTML body's type: a 405 must name the allowed methods (Allow).
        headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
        return error_response(exc.code or 500, code, message, headers=headers)

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def _store_down(exc):
        # Nothing was committed (the transaction rolled back): the caller must retry, and may safely.
        log.error("ticket store unavailable: %s", str(exc).splitlines()[0])
        return error_response(503, "store_unavailable", "系统暂时无法保存，请稍后重试", headers={"Retry-After": "5"})

    @app.errorhandler(DBAPIError)
    def _store_error(exc):
        if exc.connection_invalidated:
            return _store_down(exc)
        log.exception("store error")
        return error_response(500, "internal_error", "系统内部错误")

    @app.errorhandler(Exception)
    def _unexpected(exc):
        log.exception("unexpected error")
        return error_response(500, "internal_error", "系统内部错误")
