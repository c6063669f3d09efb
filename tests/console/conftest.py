"""Console fixtures: operators of each role and a signed-in test client."""
from __future__ import annotations

import re

import pytest

from gateway.operators import add_operator

PASSWORD = "correct horse 12345"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Console:
    """A browser-like test client of the console: keeps the cookie and the form token."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.client = gateway.app.test_client()
        self.token = ""

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        found = CSRF.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, *, token: bool = True, **kwargs):
        data = dict(data or {})
        if token:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kwargs)

    def sign_in(self, name: str, password: str = PASSWORD):
        self.get("/console/sign-in")
        return self.post("/console/sign-in", {"name": name, "password": password})


@pytest.fixture
def operators(gateway):
    """One account of each role on the gateway's store."""
    for name, role in (("wang", "operator"), ("li", "supervisor"), ("zhao", "admin")):
        add_operator(gateway.runtime.engine, name, role, PASSWORD)
    return gateway


@pytest.fixture
def sqlite_operators(sqlite_gateway):
    for name, role in (("wang", "operator"), ("li", "supervisor")):
        add_operator(sqlite_gateway.runtime.engine, name, role, PASSWORD)
    return sqlite_gateway


def signed_in(gateway, name: str) -> Console:
    console = Console(gateway)
    assert console.sign_in(name).status_code == 302
    console.get("/console/calls/new")
    return console
