"""Building blocks for OpenAPI operations, shared by the core document and the channel packages' paths."""
from __future__ import annotations

BEARER = [{"bearer": []}]
SIGNED = [{"signed": []}]
ERROR = {"description": "JSON error `{error, message, fields?}`",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
# Beyond a rate limit (docs/security.md): nothing stored, retry after the header's seconds.
LIMITED = {"description": "Over a rate limit (per sender, key, client address or partner source); nothing stored",
           "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def op(summary: str, security=None, body: str | None = None, ok: str = "200", params=None, limited: bool | None = None,
       **extra) -> dict:
    """One operation: summary, security, JSON body by schema name, success status, parameters; `limited` (by
    default: Bearer endpoints) adds the rate limit's 429."""
    operation = {"summary": summary, "responses": {ok: {"description": "OK"}, "4XX": ERROR}}
    if limited or (limited is None and security == BEARER):
        operation["responses"]["429"] = LIMITED
    if security is not None:
        operation["security"] = security
    if body:
        operation["requestBody"] = _json(body)
    if params:
        operation["parameters"] = params
    operation.update(extra)
    return operation


def param(name: str, where: str = "path", schema_type: str = "string", required: bool = True) -> dict:
    """One string (or `schema_type`) parameter."""
    return {"name": name, "in": where, "required": required, "schema": {"type": schema_type}}
