"""References citizens read over the phone, and configuration read from the environment and the profile."""
from __future__ import annotations

import re

import pytest

from config import load_settings
from config.settings import ConfigError
from gateway.references import new_reference


def test_references_are_short_unambiguous_and_not_sequential():
    refs = [new_reference() for _ in range(20000)]
    assert len(set(refs)) == len(refs)
    assert all(re.fullmatch(r"[2-9A-HJKMNP-TW-Z]{5}-[2-9A-HJKMNP-TW-Z]{5}", r) for r in refs)
    # Consecutive references share no more characters in place than chance would give.
    same = sum(a == b for r1, r2 in zip(refs, refs[1:]) for a, b in zip(r1, r2) if a != "-")
    assert same < 0.06 * 10 * len(refs)


def test_settings_from_environment_and_profile(tmp_path):
    profile = tmp_path / "city.toml"
    profile.write_text('[city]\nname = "某市"\n[delivery]\nretry_hours = 48\n', encoding="utf-8")
    s = load_settings(environ={"GATEWAY_API_KEYS": "a:secret-number-0001,b:secret-number-0002:operator",
                               "GATEWAY_WEBHOOK_SECRETS": "110:partner-secret-0001",
                               "GATEWAY_PROFILE": str(profile), "GATEWAY_VAR_DIR": str(tmp_path)},
                      dotenv_path=None)
    assert [(k.name, k.role) for k in s.api_keys] == [("a", "client"), ("b", "operator")]
    assert s.webhook_secrets == {"110": "partner-secret-0001"}
    assert s.profile["city"]["name"] == "某市" and s.profile["delivery"]["retry_hours"] == 48
    assert s.profile["delivery"]["backoff_base_seconds"] == 10       # inherited from the defaults
    assert s.embedded and s.database_url == f"sqlite:///{tmp_path / 'gateway.db'}"


def test_dotenv_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("GATEWAY_PUBLIC_URL=https://gw.example.cn/\nGATEWAY_TIMEZONE=Asia/Urumqi\n")
    s = load_settings(environ={"GATEWAY_TIMEZONE": "Asia/Shanghai"}, dotenv_path=env_file)
    assert s.public_url == "https://gw.example.cn" and s.timezone == "Asia/Shanghai"


@pytest.mark.parametrize("environ", [
    {"GATEWAY_API_KEYS": "nosecret"},
    {"GATEWAY_API_KEYS": "a:b:root"},
    {"GATEWAY_WEBHOOK_SECRETS": "110"},
    {"GATEWAY_TIMEZONE": "Mars/Olympus"},
    {"DOWNSTREAM_URL": "http://cases.local/events"},
    {"GATEWAY_PROFILE": "/nonexistent.toml"},
])
def test_bad_configuration_fails_at_start_with_a_reason(environ):
    with pytest.raises(ConfigError):
        load_settings(environ=environ, dotenv_path=None)


def test_serve_makes_local_keys_once_and_keeps_them(tmp_path):
    from gateway.local_key import ensure_local_keys
    settings = load_settings(environ={"GATEWAY_VAR_DIR": str(tmp_path)}, dotenv_path=None)
    with_key, keys = ensure_local_keys(settings)
    again, keys2 = ensure_local_keys(settings)
    assert keys == keys2 and with_key.api_keys == keys and [k.role for k in keys] == ["client", "operator"]
    assert (tmp_path / "api-key").stat().st_mode & 0o077 == 0
