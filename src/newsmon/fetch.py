"""The one module that talks HTTP: bounded, polite, concurrent GETs that never raise.

Every outcome, good or bad, comes back as a `FetchResult` whose `error` is one readable line,
so a broken site is recorded and the pass goes on. Politeness is enforced here, for every
caller: a global limit, a per-host limit, timeouts, a streamed body cap, a redirect limit with
loop detection, and a refusal to follow third-party links into private networks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlsplit

import httpx

from newsmon.config import FetchConfig

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})

Resolver = Callable[[str], list[str]]


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
    # Where a chain of permanent redirects (301/308 only) ended; None if none happened.
    moved_to: str | None = None
    refused: bool = False  # blocked by policy (private address, bad scheme), not by the server

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
        detail = str(exc).splitlines()[0][:160] if str(exc) else ""
        return f"{type(exc).__name__}: {detail}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def _blocked_address(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved or ip.is_unspecified),
    ):
        if flag:
            return kind
    return None


class Fetcher:
    """A shared async HTTP client with the project's limits and manners."""

    def __init__(
        self,
        config: FetchConfig,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.config = config
        self._resolver = resolver
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=config.total_timeout,
            ),
            follow_redirects=False,  # followed by hand: each hop is checked
            headers={"User-Agent": config.user_agent, "Accept-Encoding": "gzip, deflate"},
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
            transport=transport,
        )
        self._global = asyncio.Semaphore(config.max_connections)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.config.per_host)
        return slot

    async def refusal(self, url: str) -> str | None:
        """Why a third-party URL may not be fetched, or None."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"refused: {parts.scheme or 'no'} scheme (only http and https)"
        host = parts.hostname
        if not host:
            return "refused: no host in URL"
        if self.config.allow_private_networks:
            return None
        try:
            addresses = [host] if _is_ip(host) else await asyncio.to_thread(self._resolver, host)
        except OSError:
            return None  # let the request itself report the DNS failure
        for address in addresses:
            kind = _blocked_address(address)
            if kind:
                return f"refused: {host} is a {kind} address ({address})"
        return None

    async def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str = "*/*",
        etag: str | None = None,
        last_modified: str | None = None,
        trusted: bool = False,
    ) -> FetchResult:
        """GET with retries for transient failures; `trusted` skips the private-network check."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            result = await self._follow(url, headers, max_bytes, trusted)
            transient = not result.refused and (
                result.status in RETRYABLE_STATUS
                or (
                    result.status is None
                    and result.error is not None
                    and "timeout" not in result.error
                )
            )
            if not transient or attempt >= self.config.retries:
                return result
            attempt += 1
            await asyncio.sleep(min(2.0, 0.5 * attempt))

    async def _follow(
        self, url: str, headers: dict[str, str], max_bytes: int, trusted: bool
    ) -> FetchResult:
        started = time.monotonic()
        result = FetchResult(url=url, final_url=url)
        visited = {url}
        current = url
        permanent_only = True
        try:
            async with asyncio.timeout(self.config.total_timeout):
                for _hop in range(self.config.max_redirects + 1):
                    refusal = None if trusted else await self.refusal(current)
                    if refusal:
                        result.error, result.refused = refusal, True
                        return result
                    location = await self._get_once(current, headers, max_bytes, result)
                    if location is None:
                        return result
                    permanent_only = permanent_only and result.status in PERMANENT_REDIRECTS
                    nxt = urljoin(current, location)
                    if nxt in visited:
                        result.error = f"redirect loop at {nxt}"
                        return result
                    visited.add(nxt)
                    current = result.final_url = nxt
                    if permanent_only:
                        result.moved_to = nxt
                result.error = f"too many redirects (more than {self.config.max_redirects})"
        except TimeoutError:
            result.error = f"took longer than {self.config.total_timeout:g}s"
        except Exception as exc:  # every failure becomes a recorded line, never a crash
            result.error = _describe(exc)
        finally:
            result.elapsed = time.monotonic() - started
        return result

    async def _get_once(
        self, url: str, headers: dict[str, str], max_bytes: int, result: FetchResult
    ) -> str | None:
        """One request; returns the redirect target, or None when `result` is complete."""
        host = (urlsplit(url).hostname or "").lower()
        async with (
            self._host_slot(host),
            self._global,
            self._client.stream("GET", url, headers=headers) as response,
        ):
            result.status = response.status_code
            result.headers = {k.lower(): v for k, v in response.headers.items()}
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUS and location:
                return str(location)
            if response.status_code >= 400:
                reason = response.reason_phrase or ""
                result.error = f"HTTP {response.status_code} {reason}".strip()
                return None
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    result.truncated = True
                    break
            result.content = b"".join(chunks)[:max_bytes]
            return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
