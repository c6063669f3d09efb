"""Findings 6 and 7: sign-out, a new password and disabling end every session; guessing is counted atomically
per (name, address), unknown names alike."""
from __future__ import annotations

import io
import threading

from sqlalchemy import select

from gateway import cli
from gateway.operators import AccountLocked, check_credentials
from gateway.tables import sign_in_attempts
from tests.console.conftest import PASSWORD, Console, operators, signed_in, sqlite_operators  # noqa: F401
from tests.harness.gateway import make_gateway, test_environ

import pytest


def copy_cookie(console: Console) -> Console:
    """Another browser holding a copy of the session cookie saved earlier."""
    other = Console(console.gateway)
    cookie = console.client.get_cookie("gateway_console", path="/console")
    other.client.set_cookie(cookie.key, cookie.value, path="/console", domain=cookie.domain)
    return other


def test_a_cookie_saved_before_sign_out_no_longer_works(sqlite_operators):
    console = signed_in(sqlite_operators, "wang")
    saved = copy_cookie(console)
    assert saved.get("/console/intake").status_code == 200
    assert console.post("/console/sign-out").status_code == 302
    assert saved.get("/console/intake").status_code == 302
    again = signed_in(sqlite_operators, "wang")              # signing in again works, with a fresh session
    assert again.get("/console/intake").status_code == 200 and saved.get("/console/intake").status_code == 302


def test_cli_passwd_and_disable_end_sessions(sqlite_url, tmp_path, monkeypatch, capsys):
    for name, value in test_environ(sqlite_url, tmp_path).items():
        monkeypatch.setenv(name, value)
    gw = make_gateway(sqlite_url, tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
    assert cli.main(["operators", "add", "wang", "--role", "operator", "--password-stdin"]) == 0
    console = signed_in(gw, "wang")
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new password\n"))
    assert cli.main(["operators", "passwd", "wang", "--password-stdin"]) == 0
    assert console.get("/console/intake").status_code == 302
    assert check_credentials(gw.runtime.engine, "wang", PASSWORD) is None
    console = Console(gw)
    assert console.sign_in("wang", "a brand new password").status_code == 302
    assert console.get("/console/intake").status_code == 200
    assert cli.main(["operators", "disable", "wang"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert console.get("/console/intake").status_code == 302
    assert Console(gw).sign_in("wang", "a brand new password").status_code == 401
    assert cli.main(["operators", "disable", "nobody"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["operators", "passwd", "wang", "--password-stdin"]) == 2


def test_concurrent_guesses_get_no_more_evaluations_than_the_limit(operators):
    engine = operators.runtime.engine
    evaluated, locked = [], []
    start = threading.Barrier(16)

    def guess():
        start.wait()
        try:
            check_credentials(engine, "wang", "guess", "203.0.113.9")
            evaluated.append(1)
        except AccountLocked:
            locked.append(1)

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(evaluated) == 5 and len(locked) == 11
    with pytest.raises(AccountLocked):
        check_credentials(engine, "wang", PASSWORD, "203.0.113.9")     # the right password too, for now


def test_unknown_names_lock_alike_and_a_lock_binds_only_the_guessers_address(sqlite_operators):
    engine = sqlite_operators.runtime.engine
    for name in ("wang", "no-such-name"):
        answers = []
        for _ in range(7):
            try:
                answers.append(check_credentials(engine, name, "guess", "203.0.113.9"))
            except AccountLocked:
                answers.append("locked")
        assert answers == [None] * 5 + ["locked"] * 2, name
    # The operator at their own desk is not locked out by the guesser.
    assert check_credentials(engine, "wang", PASSWORD, "10.1.2.3").name == "wang"
    with engine.connect() as conn:
        assert {r.name for r in conn.execute(select(sign_in_attempts))} == {"wang", "no-such-name"}
