"""Findings 8 and 15: no open redirect; the console cannot be framed and has a CSP; attachments cache privately."""
from __future__ import annotations

import io

from tests.console.conftest import sqlite_operators, signed_in  # noqa: F401 (a fixture)
from tests.harness.gateway import CLIENT_KEY

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_foreign_referer_does_not_redirect_off_site(sqlite_operators):
    console = signed_in(sqlite_operators, "wang")
    evil = console.client.get("/console/cases?id=abc", headers={"Referer": "https://evil.example/phish?x=1"})
    assert evil.status_code == 302 and evil.headers["Location"] == "/console/calls/new"
    scheme_relative = console.client.get("/console/cases?id=abc", headers={"Referer": "//evil.example/console/x"})
    assert scheme_relative.headers["Location"] == "/console/calls/new"
    own = console.client.get("/console/cases?id=abc", headers={"Referer": "http://localhost/console/intake?page=2"})
    assert own.status_code == 302 and own.headers["Location"] == "/console/intake?page=2"


def test_console_pages_cannot_be_framed_and_load_only_their_own_code(sqlite_operators):
    console = signed_in(sqlite_operators, "wang")
    for path in ("/console/sign-in", "/console/calls/new", "/console/intake"):
        response = console.client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY"
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy


def test_attachment_downloads_are_private_to_the_browser(sqlite_gateway):
    stored = sqlite_gateway.client.post(
        "/api/v1/attachments", headers={"Authorization": f"Bearer {CLIENT_KEY}"},
        data={"file": (io.BytesIO(PNG), "p.png", "image/png")}, content_type="multipart/form-data").json
    fetched = sqlite_gateway.client.get(stored["url"].split("8000", 1)[1])
    assert fetched.status_code == 200
    assert "private" in fetched.headers["Cache-Control"] and "public" not in fetched.headers["Cache-Control"]
