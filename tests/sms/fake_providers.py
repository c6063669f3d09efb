"""Local stand-ins for Twilio's REST API (Messages.json) and Aliyun's SendSms, checking credentials as they do."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlparse


class _Server:
    def __init__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.handle("GET", self)

            def do_POST(self):
                owner.handle("POST", self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.script: list[int] = []      # statuses to answer next, then success

    @staticmethod
    def send_json(handler, status: int, data: dict) -> None:
        body = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class FakeTwilioAPI(_Server):
    """POST /2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP basic auth (AccountSid:AuthToken)."""

    def __init__(self, account_sid: str, auth_token: str):
        super().__init__()
        self.account_sid, self.auth_token = account_sid, auth_token
        self.sent: list[dict] = []
        self.attempts = 0

    def handle(self, method: str, handler) -> None:
        path = urlparse(handler.path).path
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0))).decode()
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if handler.headers.get("Authorization") != expected:
            return self.send_json(handler, 401, {"code": 20003, "message": "Authenticate", "status": 401})
        if method != "POST" or path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return self.send_json(handler, 404, {"code": 20404, "message": "not found", "status": 404})
        self.attempts += 1
        if self.script:
            status = self.script.pop(0)
            code = 21211 if status == 400 else 20500
            return self.send_json(handler, status, {"code": code, "message": "scripted failure", "status": status})
        data = dict(parse_qsl(body, keep_blank_values=True))
        sid = f"SM{len(self.sent) + 1:032x}"
        self.sent.append(data)
        self.send_json(handler, 201, {"sid": sid, "status": "queued", "to": data.get("To"),
                                      "from": data.get("From"), "body": data.get("Body"),
                                      "account_sid": self.account_sid, "num_segments": "1"})


def _pe(value: str) -> str:
    return quote(value, safe="~")


class FakeAliyunSMS(_Server):
    """GET /?Action=SendSms&… with Aliyun's RPC signature (computed here from the published algorithm)."""

    def __init__(self, key_id: str, secret: str):
        super().__init__()
        self.key_id, self.secret = key_id, secret
        self.sent: list[dict] = []
        self.codes: list[str] = []       # Aliyun error codes to answer next, then OK

    def handle(self, method: str, handler) -> None:
        params = dict(parse_qsl(urlparse(handler.path).query, keep_blank_values=True))
        given = params.pop("Signature", "")
        canonical = "&".join(f"{_pe(k)}={_pe(v)}" for k, v in sorted(params.items()))
        string = "GET&%2F&" + _pe(canonical)
        expected = base64.b64encode(hmac.new((self.secret + "&").encode(), string.encode(),
                                             hashlib.sha1).digest()).decode()
        if params.get("AccessKeyId") != self.key_id or given != expected:
            return self.send_json(handler, 400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"})
        if self.codes:
            return self.send_json(handler, 200, {"Code": self.codes.pop(0), "Message": "scripted"})
        self.sent.append(params)
        self.send_json(handler, 200, {"Code": "OK", "Message": "OK", "BizId": f"{len(self.sent)}^0",
                                      "RequestId": "r"})
