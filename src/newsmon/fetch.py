"""The one module that talks HTTP: bounded, polite GETs that never raise for a bad response.

Every outcome, good or bad, comes back as a `FetchResult` whose `error` is one readable line,
so a broken site is recorded and the pass goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.message import Message

import httpx

from newsmon.config import FetchConfig

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int | None = None
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncated: bool = False
    error: str | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        raw = self.headers.get("content-type")
        if not raw:
            return None
        msg = Message()
        msg["content-type"] = raw
        value = msg.get_param("charset")
        return str(value).strip().lower() if isinstance(value, str) and value.strip() else None


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return "read timeout"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc) or "connection failed"
        if "Name or service not known" in text or "nodename nor servname" in text:
            return "DNS lookup failed"
        if "Temporary failure in name resolution" in text:
            return "DNS lookup failed (no network?)"
        return f"cannot connect: {text.splitlines()[0][:160]}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "unsupported URL scheme"
    if isinstance(exc, httpx.InvalidURL):
        return "invalid URL"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}".rstrip(
            ": "
        )
    return f"{type(exc).__name__}: {exc}"


class Fetcher:
    """A shared HTTP client with the project's timeouts, limits and User-Agent."""

    def __init__(self, config: FetchConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._client = httpx.Client(
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=config.connect_timeout,
            ),
            follow_redirects=True,
            max_redirects=config.max_redirects,
            headers={
                "User-Agent": config.user_agent,
                "Accept-Encoding": "gzip, deflate",
            },
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str = "*/*",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            result = self._get_once(url, headers, max_bytes)
            transient = result.status in RETRYABLE_STATUS or (
                result.status is None and result.error is not None and "timeout" not in result.error
            )
            if not transient or attempt >= self.config.retries:
                return result
            attempt += 1
            time.sleep(min(2.0, 0.5 * attempt))

    def _get_once(self, url: str, headers: dict[str, str], max_bytes: int) -> FetchResult:
        started = time.monotonic()
        result = FetchResult(url=url, final_url=url)
        deadline = started + self.config.total_timeout
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                result.status = response.status_code
                result.final_url = str(response.url)
                result.headers = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code >= 400:
                    result.error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                    return result
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        result.truncated = True
                        break
                    if time.monotonic() > deadline:
                        result.error = f"took longer than {self.config.total_timeout:g}s"
                        break
                result.content = b"".join(chunks)[:max_bytes]
        except Exception as exc:  # every failure becomes a recorded line, never a crash
            result.error = _describe(exc)
        finally:
            result.elapsed = time.monotonic() - started
        return result
