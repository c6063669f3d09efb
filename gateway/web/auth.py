"""Bearer keys with roles: client < operator < supervisor."""
from __future__ import annotations

import hmac
from functools import wraps

from flask import current_app, g, request

from config import ApiKey
from gateway.web.errors import ApiError
from gateway.web.limits import refuse_if_limited, request_address

RANK = {"client": 0, "operator": 1, "supervisor": 2}


def authenticate(keys: tuple[ApiKey, ...], header: str | None) -> ApiKey | None:
    """The key whose secret the header carries, compared in constant time against every key."""
    if not header or not header.startswith("Bearer "):
        return None
    # Only ASCII spaces around the secret: str.strip() would also eat a no-break space (and other Unicode
    # blanks), turning "Bearer \xa0" into an empty secret.
    given = header[len("Bearer "):].strip(" ").encode()
    if not given:
        return None
    found = None
    for key in keys:
        if hmac.compare_digest(key.secret.encode(), given):
            found = key
    return found


def require_key(min_role: str = "client", roles: tuple[str, ...] | None = None):
    """Decorator: 401 without a valid key, 403 when its role is too low (or not among `roles`)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            runtime = current_app.extensions["gateway"]
            # Per client address and per key name: both off by default (one app backend or CTI system may
            # front every citizen); counted before the key is checked, so guessing keys is slowed down too.
            if runtime.limits.enabled("address"):
                refuse_if_limited(runtime.limits.check(address=request_address()))
            key = authenticate(runtime.settings.api_keys, request.headers.get("Authorization"))
            if key is None:
                raise ApiError(401, "unauthorized", "缺少或错误的 API 密钥（Authorization: Bearer <密钥>）",
                               headers={"WWW-Authenticate": "Bearer"})
            allowed = key.role in roles if roles else RANK[key.role] >= RANK[min_role]
            if not allowed:
                raise ApiError(403, "forbidden", "此密钥的角色无权执行该操作")
            if runtime.limits.enabled("key"):
                refuse_if_limited(runtime.limits.check(key=key.name))
            g.api_key = key
            return view(*args, **kwargs)
        return wrapped
    return decorate
