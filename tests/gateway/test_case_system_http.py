"""The case system's HTTP client reads what requests read from the environment for its URL: a proxy, .netrc."""
from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gateway.case_system_http import SEND_ERRORS, CaseSystemClient
from tests.durability.support import free_port


@pytest.fixture
def proxy():
    """An HTTP proxy that answers 204 itself and records each request line and its headers."""
    seen: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((self.requestline, self.headers))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_the_proxy_and_netrc_of_the_environment_are_used(proxy, monkeypatch, tmp_path):
    proxy_url, seen = proxy
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy_url)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine case-system.invalid login gw password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client = CaseSystemClient("http://case-system.invalid/events?x=1", 2)
    try:
        assert client.post(b"{}", {"Content-Type": "application/json"}, 3, 10) == (204, "")
    finally:
        client.close()
    line, headers = seen[0]
    assert line == "POST http://case-system.invalid/events?x=1 HTTP/1.1"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"gw:s3cret").decode()


def test_no_answer_is_one_of_the_send_errors(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = CaseSystemClient(f"http://127.0.0.1:{free_port()}/events", 1)
    with pytest.raises(SEND_ERRORS):
        client.post(b"{}", {}, 1, 1)
    client.close()
