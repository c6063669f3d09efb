"""`GET /openapi.json`: every endpoint, with request schemas taken from the marshmallow schemas themselves."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify

from channels.case_ids import MAX_CASE_ID
from channels.case_updates import CaseUpdateIn
from gateway import registry
from gateway.web.api_views import MergeIn, RatingIn, UnmergeIn
from gateway.web.openapi_ops import BEARER, SIGNED, op as _op, param as _path
from normalizer.ticket import TicketSchema

bp = Blueprint("openapi", __name__)

# Case numbers are the store's 64-bit ids; a larger one is a 404.
CASE_ID = {"name": "id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": MAX_CASE_ID}}
UPLOAD = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}


PATHS = {
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
        "district, category, first_at, last_at}], groups: [{kind, category, district | term, case_ids, cases, "
        "reports_in_window, reports_before}]}` (kind `category_district` or `term`: separate cases sharing a rare "
        "word), hottest first; windows count reports by when the gateway received them; "
        "`reports_before` is the equal window just before", BEARER,
        params=[{"name": "window", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": ["1h", "24h", "7d"], "default": "1h"}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}])},
    "/api/v1/case-updates": {"post": _op("A status update from the case system", SIGNED, "CaseUpdate")},
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
    for channel in registry.CHANNELS:
        for name, schema in channel.openapi_schemas.items():
            spec.components.schema(name, schema=schema)
    spec.components.schema("CaseUpdate", schema=CaseUpdateIn)
    spec.components.schema("Merge", schema=MergeIn)
    spec.components.schema("Unmerge", schema=UnmergeIn)
    spec.components.schema("Rating", schema=RatingIn)
    spec.components.schema("Ticket", schema=TicketSchema)
    spec.components.schema("Error", {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}})
    channel_paths = [path for channel in registry.CHANNELS for path in channel.openapi_paths.items()]
    for path, operations in [*channel_paths, *PATHS.items()]:
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi():
    """Serve the document."""
    return jsonify(build_spec())
