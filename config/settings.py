"""Settings from the contract's environment variables, a `.env` file and the city profile."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from dotenv import dotenv_values

DEFAULT_PROFILE = Path(__file__).with_name("wuhan.toml")
# The secrets the gateway defines (not WeChat's token, whose length WeChat sets) must be at least this long: an
# empty or short one is guessed, and a key with an empty secret once matched a header of blanks.
MIN_SECRET_CHARS = 16
ROLES = ("client", "operator", "supervisor")


class ConfigError(ValueError):
    """A configuration value that cannot be used; raised at start-up, never later."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    secret: str
    role: str = "client"


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    public_url: str
    api_keys: tuple[ApiKey, ...]
    webhook_secrets: Mapping[str, str]
    sms_uplink_token: str | None
    timezone: str
    wechat_token: str | None
    wechat_app_id: str | None
    wechat_app_secret: str | None
    wechat_aes_key: str | None
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_from_number: str | None
    downstream_url: str | None
    downstream_secret: str | None
    var_dir: Path
    secret_key: str | None = None
    aliyun_sms_access_key_id: str | None = None
    aliyun_sms_access_key_secret: str | None = None
    app_callback_url: str | None = None
    app_callback_secret: str | None = None
    profile: Mapping[str, Any] = field(default_factory=dict)
    # The whole environment (`.env` under the process's): a channel package reads its own variables here, so a
    # new channel needs no field in this class.
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: jobs run in-process, fed from the database."""
        return not self.redis_url

    @property
    def attachments_dir(self) -> Path:
        return Path(self.profile.get("attachments", {}).get("dir") or self.var_dir / "attachments")

    def section(self, name: str) -> Mapping[str, Any]:
        """One table of the city profile (empty when absent)."""
        return self.profile.get(name, {})


def _parse_api_keys(raw: str) -> tuple[ApiKey, ...]:
    keys = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        parts = item.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise ConfigError(f"GATEWAY_API_KEYS entry is not name:secret[:role]: {parts[0]!r}")
        role = parts[2] if len(parts) == 3 else "client"
        if role not in ROLES:
            raise ConfigError(f"GATEWAY_API_KEYS role for {parts[0]!r} must be one of {ROLES}")
        keys.append(ApiKey(parts[0], parts[1], role))
    return tuple(keys)


def _parse_pairs(raw: str, variable: str) -> dict[str, str]:
    pairs = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, secret = item.partition(":")
        if not sep or not name or not secret:
            raise ConfigError(f"{variable} entry is not source:secret: {name!r}")
        pairs[name] = secret
    return pairs


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge two profile trees: tables merge key by key, any other value replaces."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_profile(path: str | os.PathLike | None) -> dict[str, Any]:
    """The Wuhan defaults, overridden by the city profile at `path` when given."""
    with open(DEFAULT_PROFILE, "rb") as fh:
        profile = tomllib.load(fh)
    if path:
        try:
            with open(path, "rb") as fh:
                profile = deep_merge(profile, tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"GATEWAY_PROFILE {path}: {exc}") from exc
    return profile


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None,
                  dotenv_path: str | os.PathLike | None = ".env") -> Settings:
    """Read the settings: `.env` first, the process environment over it, `overrides` over both."""
    env: dict[str, str] = {}
    if dotenv_path and Path(dotenv_path).is_file():
        env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    env.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    var_dir = Path(get("GATEWAY_VAR_DIR") or "var").resolve()
    profile = load_profile(get("GATEWAY_PROFILE"))
    settings = Settings(
        database_url=get("GATEWAY_DATABASE_URL") or f"sqlite:///{var_dir / 'gateway.db'}",
        redis_url=get("GATEWAY_REDIS_URL"),
        public_url=(get("GATEWAY_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
        api_keys=_parse_api_keys(get("GATEWAY_API_KEYS") or ""),
        webhook_secrets=_parse_pairs(get("GATEWAY_WEBHOOK_SECRETS") or "", "GATEWAY_WEBHOOK_SECRETS"),
        sms_uplink_token=get("GATEWAY_SMS_UPLINK_TOKEN"),
        timezone=get("GATEWAY_TIMEZONE") or profile.get("city", {}).get("timezone", "Asia/Shanghai"),
        wechat_token=get("WECHAT_TOKEN"),
        wechat_app_id=get("WECHAT_APP_ID"),
        wechat_app_secret=get("WECHAT_APP_SECRET"),
        wechat_aes_key=get("WECHAT_ENCODING_AES_KEY"),
        twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
        twilio_from_number=get("TWILIO_FROM_NUMBER"),
        downstream_url=get("DOWNSTREAM_URL"),
        downstream_secret=get("DOWNSTREAM_SECRET"),
        var_dir=var_dir,
        secret_key=get("GATEWAY_SECRET_KEY"),
        aliyun_sms_access_key_id=get("ALIYUN_SMS_ACCESS_KEY_ID"),
        aliyun_sms_access_key_secret=get("ALIYUN_SMS_ACCESS_KEY_SECRET"),
        app_callback_url=get("GATEWAY_APP_CALLBACK_URL"),
        app_callback_secret=get("GATEWAY_APP_CALLBACK_SECRET"),
        profile=profile,
        env={name: value.strip() for name, value in env.items() if value and value.strip()},
    )
    if overrides:
        overrides = dict(overrides)
        if "profile" in overrides:
            overrides["profile"] = deep_merge(settings.profile, overrides["profile"])
        known = {f.name for f in fields(Settings)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings: {sorted(unknown)}")
        settings = replace(settings, **overrides)
    _check(settings)
    return settings


def check_secret(label: str, secret: str | None) -> None:
    """Refuse an empty or short secret at start-up (ConfigError naming which one, never its value)."""
    if secret is not None and len(secret) < MIN_SECRET_CHARS:
        raise ConfigError(f"{label} has {len(secret)} characters; secrets need at least {MIN_SECRET_CHARS} "
                          "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(24))')")


def _check_secrets(settings: Settings) -> None:
    for key in settings.api_keys:
        check_secret(f"GATEWAY_API_KEYS key {key.name!r}", key.secret)
    for source, secret in settings.webhook_secrets.items():
        check_secret(f"GATEWAY_WEBHOOK_SECRETS source {source!r}", secret)
    for label, name in (("DOWNSTREAM_SECRET", "downstream_secret"), ("GATEWAY_SECRET_KEY", "secret_key"),
                        ("GATEWAY_APP_CALLBACK_SECRET", "app_callback_secret"),
                        ("GATEWAY_SMS_UPLINK_TOKEN", "sms_uplink_token")):
        check_secret(label, getattr(settings, name, None))


def _check(settings: Settings) -> None:
    _check_secrets(settings)
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(settings.timezone)
    except Exception as exc:  # zoneinfo raises several types for a bad name
        raise ConfigError(f"GATEWAY_TIMEZONE {settings.timezone!r} is not a known time zone") from exc
    if settings.downstream_url and not settings.downstream_secret:
        raise ConfigError("DOWNSTREAM_URL is set but DOWNSTREAM_SECRET is not: events must be signed")
    if settings.app_callback_url and not settings.app_callback_secret:
        raise ConfigError("GATEWAY_APP_CALLBACK_URL is set but GATEWAY_APP_CALLBACK_SECRET is not: notices must be "
                          "signed")

