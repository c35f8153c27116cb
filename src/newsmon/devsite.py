"""A loopback HTTP server for the demo and the tests: serves a folder as a news site.

Files may hold ``{{BASE}}``, replaced by the server's own base URL when served, so feeds can
link to pages on whatever port the server got. ``_routes.json`` in the folder scripts special
responses: ``{"/path": {"status": 500, "content_type": "...", "file": "...", "body": "...",
"headers": {...}, "delay": 1.5, "stream_bytes": 52428800}}`` (``delay`` waits before answering;
``stream_bytes`` streams that many filler bytes without holding them in memory).
Files get an ETag and answer 304 to a matching If-None-Match.
Every request is recorded, so tests can tell what was fetched and what was not.
With ``tls`` (a server-side SSL context) it serves HTTPS and records the server name each client
asked for (SNI) in ``server_names``.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8",
}

# How often the serving thread looks for a stop: `stop()` waits up to this long
# (socketserver's default, 0.5 s, was half a second lost by each of ~800 tests).
STOP_POLL = 0.05


@dataclass
class SiteServer:
    root: Path
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    routes: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_flight: int = 0
    max_in_flight: int = 0
    bytes_sent: int = 0
    tls: ssl.SSLContext | None = None
    server_names: list[str | None] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + (path if path.startswith("/") else "/" + path)

    def paths_requested(self) -> list[str]:
        return [path for path, _ in self.requests]

    def start(self) -> SiteServer:
        routes_file = self.root / "_routes.json"
        if routes_file.is_file():
            self.routes = {**json.loads(routes_file.read_text(encoding="utf-8")), **self.routes}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                sent = {k.lower(): v for k, v in self.headers.items()}
                with site._lock:
                    site.requests.append((self.path, sent))
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                self._counted = True
                try:
                    self._answer(sent)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up (a body cap, a timeout): expected in tests
                finally:
                    self._done()

            def _done(self) -> None:
                """The request stops counting as in flight once its answer starts: a client
                that reads the answer may send its next request before this thread returns."""
                if self._counted:
                    self._counted = False
                    with site._lock:
                        site.in_flight -= 1

            def _answer(self, sent: dict[str, str]) -> None:
                route = site.routes.get(unquote(urlsplit(self.path).path), {})
                if route.get("delay"):
                    time.sleep(float(route["delay"]))
                status, headers, body = site.respond(self.path)
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if status == 200 and "stream_bytes" not in route:
                    headers.setdefault("ETag", etag)
                    if sent.get("if-none-match") == headers["ETag"]:
                        status, body = 304, b""
                size = int(route.get("stream_bytes", len(body)))
                if "stream_bytes" not in route:  # a stream is in flight while it streams
                    self._done()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                if "stream_bytes" in route:
                    chunk = b"<!-- filler -->" * 4096
                    left = size
                    while left > 0:
                        piece = chunk[: min(left, len(chunk))]
                        self.wfile.write(piece)
                        left -= len(piece)
                        with site._lock:
                            site.bytes_sent += len(piece)
                else:
                    self.wfile.write(body)
                    with site._lock:
                        site.bytes_sent += len(body)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            self.tls.sni_callback = self._note_server_name
            # a failed handshake surfaces in accept() as an OSError, which socketserver drops
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(STOP_POLL,), daemon=True).start()
        return self

    def _note_server_name(
        self, _sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _ctx: ssl.SSLContext
    ) -> None:
        with self._lock:
            self.server_names.append(name)

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def respond(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        path = unquote(urlsplit(raw_path).path)
        route = self.routes.get(path, {})
        status = int(route.get("status", 200))
        headers = {k: str(v) for k, v in route.get("headers", {}).items()}
        if "stream_bytes" in route:
            body = b""
            ctype = route.get("content_type", "text/html; charset=utf-8")
        elif "body" in route:
            body = str(route["body"]).encode("utf-8")
            ctype = route.get("content_type", "text/plain; charset=utf-8")
        else:
            file = (self.root / route.get("file", path.lstrip("/"))).resolve()
            try:  # a 3,000-character folder name is no file: "File name too long"
                found = file.is_relative_to(self.root.resolve()) and file.is_file()
            except OSError:
                found = False
            if not found:
                return 404, {"Content-Type": "text/plain"}, b"not found"
            body = file.read_bytes().replace(b"{{BASE}}", self.base.encode("ascii"))
            ctype = route.get("content_type") or TYPES.get(file.suffix, "application/octet-stream")
        headers.setdefault("Content-Type", ctype)
        return status, headers, body


@contextmanager
def serve(root: Path, port: int = 0) -> Iterator[SiteServer]:
    server = SiteServer(root.resolve(), port=port).start()
    try:
        yield server
    finally:
        server.stop()
