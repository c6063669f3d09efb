"""`GET /openapi.json`: every endpoint, with request schemas taken from the marshmallow schemas themselves."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify

from channels.app_schema import AppSubmission, WebhookSubmission
from channels.case_updates import CaseUpdateIn
from channels.hotline_schema import MAX_CASE_ID, HotlineCall
from gateway.web.api_views import MergeIn, RatingIn, UnmergeIn
from normalizer.ticket import TicketSchema

bp = Blueprint("openapi", __name__)

BEARER = [{"bearer": []}]
SIGNED = [{"signed": []}]
ERROR = {"description": "JSON error `{error, message, fields?}`",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _op(summary: str, security=None, body: str | None = None, ok: str = "200", params=None, **extra) -> dict:
    op = {"summary": summary, "responses": {ok: {"description": "OK"}, "4XX": ERROR}}
    if security is not None:
        op["security"] = security
    if body:
        op["requestBody"] = _json(body)
    if params:
        op["parameters"] = params
    op.update(extra)
    return op


def _path(name: str, where: str = "path", schema_type: str = "string", required: bool = True) -> dict:
    return {"name": name, "in": where, "required": required, "schema": {"type": schema_type}}


# Case numbers are the store's 64-bit ids; a larger one is a 404.
CASE_ID = {"name": "id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": MAX_CASE_ID}}
UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}


PATHS = {
    "/channels/app": {"post": _op("A report from the mobile app", BEARER, "AppSubmission", "201",
                                  [_path("Idempotency-Key", "header")])},
    "/channels/webhook/{source}": {"post": _op("A signed report from a partner platform", SIGNED,
                                               "WebhookSubmission", "201", [_path("source")])},
    "/channels/hotline": {"post": _op("A call from the call-center system or the operator console; `call_id` is "
                                      "the idempotency key (repeat: 200 with the first answer; changed: 409)",
                                      BEARER, "HotlineCall", "201")},
    "/api/v1/attachments": {"post": _op("Upload one photo, recording or video (multipart field `file`)", BEARER,
                                        ok="201", requestBody=UPLOAD)},
    "/attachments/{token}": {"get": _op("A stored attachment", params=[_path("token")])},
    "/api/v1/tickets/{reference}": {"get": _op("A ticket by reference; `case` once dedupe has run; `progress`: the "
                                               "case system's updates [{status, message, unit, at}], oldest first",
                                               BEARER, params=[_path("reference")])},
    "/api/v1/tickets/{reference}/rating": {"post": _op(
        "The citizen's rating of the answer: 1 满意, 2 基本满意, 3 不满意 (3 asks the case system to reopen). "
        "Once per report: 201 first, the same rating again 200 with the first answer, another rating 409; the "
        "case must be `resolved` or `closed` (else 409); sent to the case system as `case.rated`",
        BEARER, "Rating", "201", [_path("reference")])},
    "/api/v1/cases/{id}": {"get": _op("A case with its reports and merge evidence (operator+)", BEARER,
                                      params=[CASE_ID])},
    "/api/v1/cases/{id}/unmerge": {"post": _op("Take a report out of the case (supervisor; audited)", BEARER,
                                               "Unmerge", params=[CASE_ID])},
    "/api/v1/cases/{id}/merge": {"post": _op("Join another case's reports into this case (supervisor; audited)",
                                             BEARER, "Merge", params=[CASE_ID])},
    "/api/v1/hot": {"get": _op(
        "Hot cases (operator+): `{window, cases: [{case_id, reports_in_window, reports_before, reports_total, title, "
        "district, category, first_at, last_at}], groups: [{category, district, cases, reports_in_window, "
        "reports_before}]}`, hottest first; windows count reports by when the gateway received them; "
        "`reports_before` is the equal window just before", BEARER,
        params=[{"name": "window", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": ["1h", "24h", "7d"], "default": "1h"}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}])},
    "/api/v1/case-updates": {"post": _op("A status update from the case system", SIGNED, "CaseUpdate")},
    "/channels/wechat": {
        "get": _op("WeChat's server-address check: echoes `echostr` when `signature` is right, else 403",
                   params=[_path(n, "query") for n in ("signature", "timestamp", "nonce", "echostr")]),
        "post": _op("A WeChat push (XML); plain mode checks `signature`, safe mode (`encrypt_type=aes`) "
                    "`msg_signature` and decrypts; the passive reply (XML, or `success`) is in the same mode",
                    params=[_path("signature", "query"), _path("timestamp", "query"), _path("nonce", "query"),
                            _path("encrypt_type", "query", required=False),
                            _path("msg_signature", "query", required=False)]),
    },
    "/channels/sms/twilio": {"post": _op(
        "An SMS/MMS from Twilio (form-encoded: From, To, Body, MessageSid, NumMedia, MediaUrlN …); "
        "`X-Twilio-Signature` is checked over GATEWAY_PUBLIC_URL + path (+ query) and the form; the answer is "
        "TwiML naming the reference; a retry of one MessageSid gives the same answer and no second ticket",
        params=[_path("X-Twilio-Signature", "header")],
        responses={"200": {"description": "TwiML", "content": {"application/xml": {"schema": {"type": "string"}}}},
                   "4XX": {"description": "TwiML (empty Response)",
                           "content": {"application/xml": {"schema": {"type": "string"}}}}},
        requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["MessageSid", "From", "Body"]}}}})},
    "/channels/sms/uplink": {"post": _op(
        "A domestic SMS provider's uplink push (Aliyun SmsUp: a JSON array of {phone_number, content, send_time, "
        "sign_name?, dest_code, sequence_id}); 200 `{\"code\": 0}` only when every message is stored "
        "(`sequence_id` is the idempotency key), else 5xx so the provider pushes again",
        params=[_path("token", "query")],
        requestBody={"required": True, "content": {"application/json": {"schema": {
            "type": "array", "items": {"type": "object", "required": ["phone_number", "content", "sequence_id"]}}}}})},
    "/healthz": {"get": _op("Liveness")},
    "/readyz": {"get": _op("Readiness: database and Redis reachable")},
    "/metrics": {"get": _op("Prometheus metrics")},
    "/openapi.json": {"get": _op("This document")},
}


def build_spec() -> dict:
    """The OpenAPI 3 document."""
    spec = APISpec(title="Intake gateway", version="1.0.0", openapi_version="3.0.3", plugins=[MarshmallowPlugin()])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("signed", {
        "type": "apiKey", "in": "header", "name": "X-Gateway-Signature",
        "description": "sha256=<hex HMAC-SHA256(secret, X-Gateway-Timestamp + '.' + X-Gateway-Event-Id + '.' + "
                       "raw body)>; timestamp within 300 s"})
    spec.components.schema("AppSubmission", schema=AppSubmission)
    spec.components.schema("WebhookSubmission", schema=WebhookSubmission)
    spec.components.schema("CaseUpdate", schema=CaseUpdateIn)
    spec.components.schema("HotlineCall", schema=HotlineCall)
    spec.components.schema("Merge", schema=MergeIn)
    spec.components.schema("Unmerge", schema=UnmergeIn)
    spec.components.schema("Rating", schema=RatingIn)
    spec.components.schema("Ticket", schema=TicketSchema)
    spec.components.schema("Error", {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}})
    for path, operations in PATHS.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi():
    """Serve the document."""
    return jsonify(build_spec())
