"""Sign-in, session expiry, roles and CSRF on the console."""
from __future__ import annotations

import io
import time

import pytest

from gateway import cli
from gateway.operators import OperatorError, add_operator, check_credentials
from tests.console.conftest import PASSWORD, Console, signed_in
from tests.harness.gateway import test_environ


def test_signed_out_visitors_are_sent_to_sign_in(sqlite_operators):
    console = Console(sqlite_operators)
    response = console.get("/console/intake")
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/sign-in?next=")
    assert console.client.get("/console/suggest?text=abc").status_code == 302
    assert console.client.get("/console/suggest?text=abc", headers={"Accept": "application/json"}).status_code == 401
    assert console.post("/console/calls", {"content": "x"}).status_code in (400, 401)


def test_wrong_password_and_unknown_name_are_refused_alike(sqlite_operators):
    console = Console(sqlite_operators)
    wrong = console.sign_in("wang", "not the password")
    unknown = console.sign_in("nobody", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "用户名或密码错误" in response.get_data(as_text=True)
    assert console.get("/console/intake").status_code == 302


def test_password_guessing_locks_the_account_for_a_while(operators):
    from sqlalchemy import update
    from gateway.tables import sign_in_attempts
    console = Console(operators)
    for _ in range(4):
        assert console.sign_in("wang", "guess").status_code == 401
    assert console.sign_in("wang", PASSWORD).status_code == 302        # a right password resets the count
    other = Console(operators)
    for _ in range(5):
        other.sign_in("wang", "guess")
    locked = other.sign_in("wang", PASSWORD)                            # even the right password, for now
    assert locked.status_code == 429 and "暂时锁定" in locked.get_data(as_text=True)
    with operators.runtime.engine.begin() as conn:                      # five minutes later
        conn.execute(update(sign_in_attempts).values(locked_until=operators.runtime.clock().replace(year=2000)))
    assert other.sign_in("wang", PASSWORD).status_code == 302


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_it(sqlite_operators):
    console = Console(sqlite_operators)
    response = console.sign_in("wang")
    assert response.status_code == 302 and response.headers["Location"] == "/console/calls/new"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # GATEWAY_PUBLIC_URL is http in the tests
    page = console.get("/console/calls/new")
    assert page.status_code == 200 and "来电登记" in page.get_data(as_text=True)
    assert console.post("/console/sign-out").status_code == 302
    assert console.get("/console/calls/new").status_code == 302


def test_sign_in_goes_back_where_the_operator_was_but_never_off_site(sqlite_operators):
    console = Console(sqlite_operators)
    console.get("/console/sign-in")
    back = console.post("/console/sign-in?next=/console/intake?page=2", {"name": "wang", "password": PASSWORD})
    assert back.headers["Location"] == "/console/intake?page=2"
    for target in ("https://evil.example/", "//evil.example/console", "/console\\@evil.example"):
        other = Console(sqlite_operators)
        other.get("/console/sign-in")
        away = other.post(f"/console/sign-in?next={target}", {"name": "wang", "password": PASSWORD})
        assert away.headers["Location"] == "/console/calls/new"


def test_idle_sessions_expire(sqlite_operators):
    console = signed_in(sqlite_operators, "wang")
    assert console.get("/console/intake").status_code == 200
    with console.client.session_transaction("/console/") as session:
        session["seen"] = time.time() - 8 * 3600 - 5
    response = console.get("/console/intake")
    assert response.status_code == 302 and "/console/sign-in" in response.headers["Location"]
    page = console.get(response.headers["Location"])
    assert "登录已超时" in page.get_data(as_text=True)


def test_disabled_operators_lose_their_session_at_once(sqlite_operators):
    from sqlalchemy import update

    from gateway.tables import operators
    console = signed_in(sqlite_operators, "wang")
    with sqlite_operators.runtime.engine.begin() as conn:
        conn.execute(update(operators).where(operators.c.name == "wang").values(disabled=True))
    assert console.get("/console/intake").status_code == 302
    assert check_credentials(sqlite_operators.runtime.engine, "wang", PASSWORD) is None


def test_every_post_needs_the_sessions_csrf_token(sqlite_operators):
    console = signed_in(sqlite_operators, "li")
    for path in ("/console/calls", "/console/cases/1/unmerge", "/console/cases/1/merge",
                 "/console/dead-letters/replay", "/console/sign-out"):
        missing = console.post(path, {"content": "路灯坏了"}, token=False)
        wrong = console.post(path, {"content": "路灯坏了", "csrf_token": "forged"})
        assert missing.status_code == 400 and wrong.status_code == 400, path
        assert "CSRF" in missing.get_data(as_text=True)
    # Sign-in itself is protected too (login CSRF), and a token from another session does not do.
    other = Console(sqlite_operators)
    other.get("/console/sign-in")
    assert other.post("/console/sign-in", {"name": "wang", "password": PASSWORD}, token=False).status_code == 400
    assert other.post("/console/sign-in", {"name": "wang", "password": PASSWORD,
                                           "csrf_token": console.token}).status_code == 400


def test_operators_cannot_unmerge_merge_or_replay(sqlite_operators):
    gw = sqlite_operators
    text = {"text": "青山区和平大道施工噪音每天到凌晨两点，严重扰民"}
    gw.post_app(text)
    second = gw.post_app({**text, "contact": {"user_id": "u-2"}}).json["reference"]
    gw.drain()
    case_id = gw.get(f"/api/v1/tickets/{second}").json["case"]["id"]
    operator = signed_in(gw, "wang")
    page = operator.get(f"/console/cases/{case_id}").get_data(as_text=True)
    assert "拆分出去" not in page and "强制合并" not in page
    assert operator.post(f"/console/cases/{case_id}/unmerge", {"reference": second}).status_code == 403
    assert operator.post(f"/console/cases/{case_id}/merge", {"case_id": "2"}).status_code == 403
    assert operator.post("/console/dead-letters/replay").status_code == 403
    supervisor = signed_in(gw, "li")
    assert "拆分出去" in supervisor.get(f"/console/cases/{case_id}").get_data(as_text=True)
    done = supervisor.post(f"/console/cases/{case_id}/unmerge", {"reference": second, "reason": "不同楼栋"})
    assert done.status_code == 302
    page = supervisor.get(f"/console/cases/{case_id}").get_data(as_text=True)
    assert "已移出" in page and "拆分移出" in page and "不同楼栋" in page
    assert gw.get(f"/api/v1/tickets/{second}").json["case"]["id"] != case_id


def test_passwords_are_stored_hashed_and_checked(sqlite_gateway):
    from sqlalchemy import select

    from gateway.tables import operators
    engine = sqlite_gateway.runtime.engine
    add_operator(engine, "chen", "supervisor", "长长的密码 password")
    with engine.connect() as conn:
        stored = conn.execute(select(operators.c.password_hash)).scalar_one()
    assert stored.startswith("scrypt:") and "password" not in stored
    assert check_credentials(engine, "chen", "长长的密码 password").role == "supervisor"
    with pytest.raises(OperatorError):
        add_operator(engine, "chen", "operator", "another password")
    with pytest.raises(OperatorError):
        add_operator(engine, "zhou", "root", "password 1234")
    with pytest.raises(OperatorError):
        add_operator(engine, "zhou", "operator", "short")


def test_cli_operators_add_reads_the_password_from_stdin(sqlite_url, tmp_path, monkeypatch, capsys):
    for name, value in test_environ(sqlite_url, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdin", io.StringIO("a good password\n"))
    assert cli.main(["operators", "add", "sun", "--role", "supervisor", "--password-stdin"]) == 0
    assert "operator sun (supervisor) created" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a good password\n"))
    assert cli.main(["operators", "add", "sun", "--role", "operator", "--password-stdin"]) == 2
    assert "exists already" in capsys.readouterr().err
    from gateway.store import make_engine
    engine = make_engine(sqlite_url)
    assert check_credentials(engine, "sun", "a good password").role == "supervisor"
    engine.dispose()
