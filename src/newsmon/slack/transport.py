"""slack_sdk's clients with Slack's answers bounded and made plain before slack_sdk reads them.

slack_sdk reads an answer with `resp.read()`: no size limit, and its timeout holds per socket
read, so a server trickling a byte at a time never times out. It decodes with whatever charset
the answer names, and takes any JSON for Slack's object. So here an answer (and an error
answer's body) is read to at most `MAX_ANSWER_BYTES` and within the client's timeout in all —
a watchdog shuts the socket at the deadline, status line and headers included — decoded as
UTF-8 when its charset is unknown, and, from the Web API, passed on only if it is a JSON object
(anything else becomes a short note that is no JSON, which slack_sdk reports as an answer that
is not Slack's). An answer that breaks off, is too large or too slow raises `AnswerFailed`, an
OSError: the request went out, so a post may have been taken. Cut off at the deadline before
the request was sent (a stalled connect, TLS handshake or proxy), it raises urllib's URLError,
as a failed connection does: nothing was posted.

These override one internal method of each slack_sdk client (`_perform_urllib_http_request_
internal`, `_perform_http_request_internal`), which slack-sdk 3.x has kept unchanged;
tests/integration/test_slack_senders.py exercises both through the real clients.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import io
import json
import socket
import threading
import time
import urllib.request
from email.message import Message
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient, WebhookResponse

MAX_ANSWER_BYTES = 8 * 1024 * 1024  # a page of 200 messages with metadata is well under this
_CHUNK = 64 * 1024


class AnswerFailed(OSError):
    """Slack's answer broke off, was too large or too slow: the request itself went out."""


class _Watchdog:
    """Shuts the connection's socket when the deadline passes, whatever it is waiting for."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shut()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shut()

    def _shut(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed
                self._sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _watched(base: type[http.client.HTTPConnection], dog: _Watchdog) -> Any:
    class Connection(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            super().connect()
            dog.watch(self.sock)

    return Connection


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, dog: _Watchdog) -> None:
        super().__init__()
        self.dog = dog

    def http_open(self, req: Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPConnection, self.dog), req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, dog: _Watchdog, context: Any) -> None:
        super().__init__(context=context)
        self.dog, self.context = dog, context

    def https_open(self, req: Request) -> http.client.HTTPResponse:
        return self.do_open(
            _watched(http.client.HTTPSConnection, self.dog), req, context=self.context
        )


def _read(resp: Any, dog: _Watchdog) -> bytes:
    declared = resp.headers.get("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise AnswerFailed(errno.EFBIG, f"Slack's answer is over {MAX_ANSWER_BYTES} bytes")
    parts: list[bytes] = []
    size = 0
    while chunk := resp.read1(_CHUNK):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise AnswerFailed(errno.EFBIG, f"Slack's answer is over {MAX_ANSWER_BYTES} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _text(body: bytes, headers: Message) -> str:
    charset = headers.get_content_charset() or "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def json_object(text: str) -> str:
    """The answer if it is a JSON object, else a note that is no JSON (slack_sdk would take a
    JSON list or string for Slack's object and fail on it)."""
    if text.lstrip().startswith("{"):
        try:
            if isinstance(json.loads(text), dict):
                return text
        except ValueError:
            pass
    shown = " ".join(text.split())[:100]
    return f"(not a JSON object) {shown}"


def _utf8_headers(headers: Message) -> Message:
    plain = Message()
    for key, value in headers.items():
        if key.lower() not in ("content-type", "content-length"):
            plain[key] = value
    plain["Content-Type"] = "text/plain; charset=utf-8"
    return plain


def fetch(
    req: Request, *, timeout: float, proxy: str | None, ssl: Any, web_api: bool
) -> tuple[int, Message, str]:
    """One request within bounds: (status, headers, text). A non-2xx status raises HTTPError,
    as urllib does, with its body already read, bounded and in UTF-8."""
    if not req.full_url.lower().startswith(("http://", "https://")):
        # never heals by itself (a credential failure); the URL is not quoted: it may be secret
        raise ValueError("the Slack URL is not http:// or https://")
    with _Watchdog(timeout) as dog:
        handlers: list[Any] = [_HTTP(dog), _HTTPS(dog, ssl)]
        if proxy:
            handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
        opener = urllib.request.build_opener(*handlers)
        try:
            try:
                resp = opener.open(req, timeout=timeout)
            except HTTPError as exc:
                with exc:
                    text = _text(_read(exc, dog), exc.headers)
                text = json_object(text) if web_api else text
                raise HTTPError(
                    req.full_url,
                    exc.code,
                    exc.msg,
                    _utf8_headers(exc.headers),
                    io.BytesIO(text.encode("utf-8")),
                ) from None
            with resp:
                text = _text(_read(resp, dog), resp.headers)
                status, headers = int(resp.status), resp.headers
        except (HTTPError, http.client.InvalidURL):  # a malformed URL: nothing was sent
            raise
        except (http.client.HTTPException, OSError) as exc:
            # the watchdog or the socket's own timeout, whichever came first on a busy machine;
            # a refused connection stays refused even if the watchdog fired meanwhile
            reason = exc.reason if isinstance(exc, URLError) else exc
            late = (dog.fired or isinstance(reason, TimeoutError)) and not isinstance(
                reason, ConnectionRefusedError
            )
            if late and isinstance(exc, URLError):
                # cut off while connecting or sending (urllib wraps only those): never sent
                raise URLError(f"Slack not reached within {timeout:g}s") from None
            if late:
                raise AnswerFailed(
                    errno.ETIMEDOUT, f"Slack's answer took longer than {timeout:g}s"
                ) from None
            if isinstance(exc, OSError):
                raise
            # broken off (IncompleteRead), or no HTTP at all (BadStatusLine, LineTooLong)
            raise AnswerFailed(
                errno.EPROTO, f"Slack's answer broke off: {type(exc).__name__}"
            ) from None
    return status, headers, json_object(text) if web_api else text


class BoundedWebClient(WebClient):
    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        status, headers, text = fetch(
            req, timeout=self.timeout, proxy=self.proxy, ssl=self.ssl, web_api=True
        )
        return {"status": status, "headers": headers, "body": text}


class BoundedWebhookClient(WebhookClient):
    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        status, headers, text = fetch(
            req, timeout=self.timeout, proxy=self.proxy, ssl=self.ssl, web_api=False
        )
        return WebhookResponse(url=url, status_code=status, body=text, headers=headers)  # type: ignore[arg-type]
