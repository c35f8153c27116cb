"""A local fake of Slack's Web API (chat.postMessage) and incoming webhooks.

The real slack_sdk clients talk to it through their base_url / webhook URL, so the tests
exercise the real client code: JSON bodies, auth headers, retries on 429 with Retry-After.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    """A scripted answer for the next request: an HTTP status, headers and a JSON or text body."""

    status: int = 200
    body: dict[str, Any] | str = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeSlack:
    token: str = "xoxb-test-token"
    posts: list[dict[str, Any]] = field(default_factory=list)  # accepted chat.postMessage bodies
    attempts: list[dict[str, Any]] = field(default_factory=list)  # every request, accepted or not
    auth_headers: list[str] = field(default_factory=list)
    script: list[Scripted] = field(default_factory=list)  # consumed before normal behaviour
    unknown_channels: set[str] = field(default_factory=set)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T000/B000/secretwebhookpart"

    def _answer(self, path: str, auth: str, raw: bytes, ctype: str) -> Scripted:
        if "json" in ctype:
            body = json.loads(raw or b"{}")
        else:
            from urllib.parse import parse_qsl

            body = dict(parse_qsl(raw.decode()))
        with self._lock:
            self.attempts.append({"path": path, **body})
            self.auth_headers.append(auth)
            if self.script:
                return self.script.pop(0)
            if path.startswith("/services/"):
                self.posts.append(body)
                return Scripted(200, "ok")
            if path != "/api/chat.postMessage":
                return Scripted(200, {"ok": False, "error": "unknown_method"})
            if auth != f"Bearer {self.token}":
                return Scripted(200, {"ok": False, "error": "invalid_auth"})
            if body.get("channel") in self.unknown_channels:
                return Scripted(200, {"ok": False, "error": "channel_not_found"})
            if not body.get("text") and not body.get("blocks"):
                return Scripted(200, {"ok": False, "error": "no_text"})
            self.posts.append(body)
            ts = f"1700000000.{next(self._ts):06d}"
            return Scripted(200, {"ok": True, "channel": body.get("channel"), "ts": ts})

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = fake._answer(
                    self.path,
                    self.headers.get("Authorization", ""),
                    raw,
                    self.headers.get("Content-Type", ""),
                )
                payload = (
                    json.dumps(answer.body).encode()
                    if isinstance(answer.body, dict)
                    else answer.body.encode()
                )
                self.send_response(answer.status)
                ctype = "application/json" if isinstance(answer.body, dict) else "text/plain"
                self.send_header("Content-Type", ctype)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.posts.clear()
            self.attempts.clear()
            self.auth_headers.clear()
            self.script.clear()
            self.unknown_channels.clear()


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    try:
        yield server
    finally:
        server.stop()
