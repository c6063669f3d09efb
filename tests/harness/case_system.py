"""A local case system: an HTTP server that verifies the gateway's signature the way a real one must,
records every event, and answers whatever status the test scripts (500s for a while, a 400, a slow reply)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from channels.signing import EVENT_ID, SIGNATURE, TIMESTAMP, signature


class CaseSystem:
    def __init__(self, secret: str):
        self.secret = secret
        self.events: list[dict] = []        # every accepted request body, in arrival order
        self.rejected: list[str] = []       # why requests failed verification
        self.truncated = 0                  # requests whose sender went away before the whole body arrived
        self.script: list[int] = []         # statuses to answer next, then 200
        self.delay = 0.0
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender died mid-request (a worker killed while concurrent deliveries were on the wire):
                    # a real case system sees a reset connection, not a forged signature, and keeps nothing.
                    owner.truncated += 1
                    return
                owner._handle(self, body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def _handle(self, handler, body: bytes) -> None:
        ts, event_id, given = (handler.headers.get(h) for h in (TIMESTAMP, EVENT_ID, SIGNATURE))
        if not (ts and event_id and given) or signature(self.secret, ts, event_id, body) != given \
                or abs(time.time() - int(ts)) > 300:
            self.rejected.append(f"bad signature for {event_id}")
            self._reply(handler, 401)
            return
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            status = self.script.pop(0) if self.script else 200
            event = json.loads(body)
            event["_status"] = status
            event["_header_id"] = event_id
            event["_at"] = time.time()          # when it arrived: latency targets are measured from here
            self.events.append(event)
        self._reply(handler, status)

    @staticmethod
    def _reply(handler, status: int) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def accepted(self) -> list[dict]:
        """Events answered 2xx, first acceptance of each event id only (the receiver's dedupe)."""
        seen, out = set(), []
        for event in self.events:
            if 200 <= event["_status"] < 300 and event["id"] not in seen:
                seen.add(event["id"])
                out.append(event)
        return out

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
