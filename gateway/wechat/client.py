"""WeChat's API through wechatpy: the access token shared by every worker, and customer-service messages.

WeChat issues one access token per app at a time (a new one revokes the old after a grace period), so every
process must read the same cached token: Redis when GATEWAY_REDIS_URL is set, else a row in the ticket store.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from gateway.runtime import Runtime
from gateway.tables import wechat_session
from gateway.upsert import insert_for

log = logging.getLogger(__name__)


class NotConfigured(Exception):
    """WECHAT_APP_ID / WECHAT_APP_SECRET are missing: WeChat's API cannot be called."""


class DatabaseStorage(SessionStorage):
    """wechatpy session storage in the ticket store (embedded mode and deployments without Redis)."""

    def __init__(self, engine: Engine, prefix: str = "wechatpy"):
        self.engine, self.prefix = engine, prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def get(self, key, default=None):
        with self.engine.connect() as conn:
            row = conn.execute(select(wechat_session.c.value, wechat_session.c.expires_at)
                               .where(wechat_session.c.key == self._key(key))).first()
        if row is None or (row.expires_at and row.expires_at <= datetime.now(timezone.utc)):
            return default
        return row.value

    def set(self, key, value, ttl=None):
        if value is None:
            return
        expires = datetime.now(timezone.utc) + timedelta(seconds=int(ttl)) if ttl else None
        with self.engine.begin() as conn:
            stmt = insert_for(conn, wechat_session).values(
                key=self._key(key), value=str(value), expires_at=expires)
            conn.execute(stmt.on_conflict_do_update(index_elements=["key"],
                                                    set_={"value": str(value), "expires_at": expires}))

    def delete(self, key):
        with self.engine.begin() as conn:
            conn.execute(delete(wechat_session).where(wechat_session.c.key == self._key(key)))


class GatewayWeChatClient(WeChatClient):
    """wechatpy's client whose token request follows API_BASE_URL (wechatpy hard-codes api.weixin.qq.com there)
    and has a timeout, so a test or a proxy can stand in for WeChat's API."""

    def fetch_access_token(self) -> dict[str, Any]:
        res = self._http.get(f"{self.API_BASE_URL}token", timeout=self.timeout,
                             params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        res.raise_for_status()
        result = res.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self, response=res)
        expires_in = int(result.get("expires_in", 7200))
        # Stored a little short of WeChat's expiry, so no worker uses a token in its last minutes.
        self.session.set(self.access_token_key, result["access_token"], max(60, expires_in - 300))
        self.expires_at = int(time.time()) + expires_in
        return result


def session_storage(runtime: Runtime) -> SessionStorage:
    """Where the access token lives: Redis in production, the ticket store otherwise."""
    if runtime.settings.redis_url:
        from redis import Redis
        from wechatpy.session.redisstorage import RedisStorage

        return RedisStorage(Redis.from_url(runtime.settings.redis_url, socket_connect_timeout=2, socket_timeout=5),
                            prefix="gateway:wechatpy")
    return DatabaseStorage(runtime.engine)


def make_client(runtime: Runtime) -> GatewayWeChatClient:
    """A client for the configured account; `[wechat] api_base_url` in the profile overrides WeChat's address."""
    s = runtime.settings
    if not (s.wechat_app_id and s.wechat_app_secret):
        raise NotConfigured("WECHAT_APP_ID and WECHAT_APP_SECRET are needed to call WeChat's API")
    cfg = s.section("wechat")
    client = GatewayWeChatClient(s.wechat_app_id, s.wechat_app_secret, session=session_storage(runtime),
                                 timeout=cfg.get("api_timeout_seconds", 10))
    client.API_BASE_URL = cfg.get("api_base_url") or WeChatClient.API_BASE_URL
    return client


def send_text(runtime: Runtime, openid: str, content: str) -> dict[str, Any]:
    """A customer-service text message (message/custom/send) to a follower; WeChat allows it for 48 hours after
    the follower's last message. Raises WeChatClientException when WeChat refuses."""
    return make_client(runtime).message.send_text(openid, content)
