"""A local stand-in for WeChat's API (api.weixin.qq.com/cgi-bin/): tokens, media/get, message/custom/send and
message/template/send."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 200
AMR = b"#!AMR\n" + b"\x3c" * 200
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200


class FakeWeChatAPI:
    def __init__(self, app_id: str, secret: str):
        self.app_id, self.secret = app_id, secret
        self.media: dict[str, tuple[bytes, str]] = {}   # media id → (bytes, content type)
        self.videos: set[str] = set()                   # media ids answered with a video_url
        self.sent: list[dict] = []
        self.templates: list[dict] = []                 # message/template/send bodies
        self.fail_send: list[int] = []                  # errcodes to answer message/custom/send with next
        self.token_requests = 0
        self.media_requests = 0
        self.fail_media: list[int] = []                 # HTTP statuses to answer media/get with next
        self.tokens: set[str] = set()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner._get(self)

            def do_POST(self):
                owner._post(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base}/cgi-bin/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @staticmethod
    def _send(handler, status: int, body: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _json(self, handler, data: dict, status: int = 200) -> None:
        self._send(handler, status, json.dumps(data).encode(), "application/json; encoding=utf-8")

    def _token_ok(self, query) -> bool:
        return query.get("access_token", [""])[0] in self.tokens

    def _get(self, handler) -> None:
        url = urlparse(handler.path)
        query = parse_qs(url.query)
        if url.path == "/cgi-bin/token":
            self.token_requests += 1
            if query.get("appid") != [self.app_id] or query.get("secret") != [self.secret]:
                return self._json(handler, {"errcode": 40125, "errmsg": "invalid appsecret"})
            token = f"ACCESS_TOKEN_{self.token_requests}"
            self.tokens.add(token)
            return self._json(handler, {"access_token": token, "expires_in": 7200})
        if url.path == "/cgi-bin/media/get":
            self.media_requests += 1
            if self.fail_media:
                return self._send(handler, self.fail_media.pop(0), b"busy", "text/plain")
            if not self._token_ok(query):
                return self._json(handler, {"errcode": 40001, "errmsg": "invalid credential"})
            media_id = query.get("media_id", [""])[0]
            if media_id in self.videos:
                return self._json(handler, {"video_url": f"{self.base}/video/{media_id}"})
            if media_id not in self.media:
                return self._json(handler, {"errcode": 40007, "errmsg": "invalid media_id"})
            content, content_type = self.media[media_id]
            return self._send(handler, 200, content, content_type)
        if url.path.startswith("/video/"):
            content, content_type = self.media[url.path.rsplit("/", 1)[1]]
            return self._send(handler, 200, content, content_type)
        self._json(handler, {"errcode": 404, "errmsg": "not found"}, 404)

    def _post(self, handler) -> None:
        url = urlparse(handler.path)
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        if url.path == "/cgi-bin/message/custom/send":
            if not self._token_ok(parse_qs(url.query)):
                return self._json(handler, {"errcode": 40001, "errmsg": "invalid credential"})
            if self.fail_send:
                return self._json(handler, {"errcode": self.fail_send.pop(0), "errmsg": "scripted failure"})
            self.sent.append(json.loads(body))
            return self._json(handler, {"errcode": 0, "errmsg": "ok"})
        if url.path == "/cgi-bin/message/template/send":
            if not self._token_ok(parse_qs(url.query)):
                return self._json(handler, {"errcode": 40001, "errmsg": "invalid credential"})
            self.templates.append(json.loads(body))
            return self._json(handler, {"errcode": 0, "errmsg": "ok", "msgid": len(self.templates)})
        self._json(handler, {"errcode": 404, "errmsg": "not found"}, 404)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
