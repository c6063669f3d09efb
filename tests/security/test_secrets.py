"""Findings 9, 10, 11: no empty or short secrets, no Unicode blanks stripped from a key, the console secret made
atomically, var/ readable by its owner only."""
from __future__ import annotations

import multiprocessing
import os
import stat

import pytest

from config import load_settings
from config.settings import ConfigError
from gateway.console.secret_key import console_secret_key
from gateway.local_key import ensure_local_keys
from gateway.web.auth import authenticate
from config import ApiKey
from tests.harness.gateway import CLIENT_KEY


@pytest.mark.parametrize("variable,value", [
    ("GATEWAY_API_KEYS", "app:short-secret"),
    ("GATEWAY_WEBHOOK_SECRETS", "110:short"),
    ("DOWNSTREAM_SECRET", "fifteen-chars-x"),
    ("GATEWAY_SECRET_KEY", "tiny"),
    ("GATEWAY_SMS_UPLINK_TOKEN", "u9q"),
])
def test_short_secrets_are_refused_at_start_and_not_printed(tmp_path, variable, value):
    with pytest.raises(ConfigError) as refused:
        load_settings(environ={variable: value, "GATEWAY_VAR_DIR": str(tmp_path)}, dotenv_path=None)
    assert "at least 16" in str(refused.value) and value.split(":")[-1] not in str(refused.value)


def test_wechat_token_keeps_the_length_wechat_allows(tmp_path):
    assert load_settings(environ={"WECHAT_TOKEN": "abc", "GATEWAY_VAR_DIR": str(tmp_path)},
                         dotenv_path=None).wechat_token == "abc"


def test_a_blank_local_key_file_is_never_a_key_and_a_short_one_is_refused(tmp_path):
    settings = load_settings(environ={"GATEWAY_VAR_DIR": str(tmp_path)}, dotenv_path=None)
    (tmp_path / "api-key").write_text("\n")                  # empty: a new key is made
    _, keys = ensure_local_keys(settings)
    assert all(len(k.secret) >= 16 for k in keys)
    assert authenticate(keys, "Bearer \u00a0") is None and authenticate(keys, "Bearer ") is None
    for short in ("\u00a0\n", "abc\n"):                          # a no-break space, or too short: refused
        (tmp_path / "api-key").write_text(short)
        with pytest.raises(ConfigError):
            ensure_local_keys(settings)


def test_only_ascii_spaces_are_stripped_from_the_bearer_header():
    keys = (ApiKey("app", CLIENT_KEY),)
    assert authenticate(keys, f"Bearer {CLIENT_KEY}  ") == keys[0]
    assert authenticate(keys, f"Bearer {CLIENT_KEY}\u00a0") is None
    assert authenticate(keys, f"Bearer \u3000{CLIENT_KEY}") is None


def _read_key(var_dir, start, out):
    start.wait()
    try:
        out.put(console_secret_key(var_dir))
    except Exception as exc:   # noqa: BLE001 - reported to the test
        out.put(f"error: {exc}")


def test_processes_starting_together_all_get_the_one_complete_console_key(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for trial in range(25):
        var_dir = tmp_path / f"t{trial}"
        start, out = ctx.Barrier(8), ctx.Queue()
        procs = [ctx.Process(target=_read_key, args=(var_dir, start, out)) for _ in range(8)]
        for p in procs:
            p.start()
        keys = [out.get(timeout=30) for _ in procs]
        for p in procs:
            p.join()
        assert len(set(keys)) == 1 and len(keys[0]) >= 16, keys
        assert [p.name for p in var_dir.iterdir()] == ["console-secret"]     # no temp file left behind
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "console-secret").write_text("")
    with pytest.raises(ConfigError):
        console_secret_key(tmp_path / "empty")


def test_var_and_its_files_are_private(tmp_path):
    import io

    from tests.harness.gateway import make_gateway

    var_dir = tmp_path / "var"
    var_dir.mkdir(mode=0o755)
    os.chmod(var_dir, 0o755)                       # as an older version left it
    gw = make_gateway(f"sqlite:///{var_dir / 'gateway.db'}", var_dir)
    ensure_local_keys(load_settings(environ={"GATEWAY_VAR_DIR": str(var_dir)}, dotenv_path=None))
    stored = gw.client.post("/api/v1/attachments", headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                            data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "p.png", "image/png")},
                            content_type="multipart/form-data")
    assert stored.status_code == 201
    assert stat.S_IMODE(var_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((var_dir / "attachments").stat().st_mode) == 0o700
    files = [p for p in var_dir.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"gateway.db", "console-secret", "api-key", stored.json["id"]}
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {p.name: "0o600" for p in files}
    gw.runtime.engine.dispose()
