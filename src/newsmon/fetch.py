"""The one module that talks HTTP: bounded, polite, concurrent GETs that never raise.

Every outcome, good or bad, comes back as a `FetchResult`: a failure carries its `FailureKind`,
which decides retries and backoff, and an `error` line for people, so a broken site is
recorded and the pass goes on. Politeness is enforced here, for every
caller: a global limit, a per-host limit, timeouts, a body cap on the raw and the decoded
size (`newsmon.bodies`), a redirect limit with loop detection, and the address policy
(`newsmon.netguard`) on every hop that is not on the host the user wrote.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import Message
from enum import StrEnum
from functools import partial
from urllib.parse import urljoin, urlsplit

import httpx

from newsmon.bodies import ACCEPT_ENCODING, BodyCut, EncodingRefused, read_capped
from newsmon.bounds import one_line
from newsmon.config import FetchConfig
from newsmon.hosts import fetchable, host_key
from newsmon.netguard import (
    AddressPolicy,
    AddressRefused,
    ResolutionFailed,
    Resolver,
    blocked_kind,
    networks,
    parse_address,
    pinned_transport,
    system_resolver,
)
from newsmon.netlog import hide_secrets_in_http_logs
from newsmon.turns import PageTurns, downloads_deadline, hold_both
from newsmon.urls import shown_url

MAX_ERROR_CHARS = 300  # a fetch's error line, as stored and shown
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})

__all__ = ["FailureKind", "FetchResult", "Fetcher", "Resolver", "describe", "system_resolver"]

hide_secrets_in_http_logs()  # before any client exists: httpx and httpcore log every request


class FailureKind(StrEnum):
    """Why a fetch (or what was fetched) failed. Code decides by the kind, never by the text."""

    TIMEOUT = "timeout"
    DNS = "dns"
    CONNECTION = "connection"  # refused, reset or dropped while connecting or reading
    CERTIFICATE = "certificate"  # the TLS certificate was not accepted: nothing was sent
    PROTOCOL = "protocol"  # the server spoke broken HTTP
    BAD_URL = "bad url"  # a URL httpx cannot request
    HTTP_CLIENT = "http 4xx"  # `status` says which
    HTTP_SERVER = "http 5xx"
    REDIRECT_LOOP = "redirect loop"
    TOO_MANY_REDIRECTS = "too many redirects"
    REFUSED = "refused"  # newsmon's address or scheme policy: nothing was sent
    NO_LINK = "no link"  # a feed entry that points nowhere: nothing to request
    NOT_A_FEED = "not a feed"  # fetched fine, but the body is not a feed (set by the caller)
    # fetched fine, but with nothing in it, as servers answer mid-deploy (set by the caller)
    EMPTY = "empty"
    # fetched fine, but reading it ran over its time or memory budget, or killed its worker
    # (set by the caller; newsmon.workers)
    OVER_BUDGET = "over budget"
    # not requested this pass: its feed's time for pages ran out while it waited for its host's
    # turn (set by the caller, newsmon.turns); soft, the page is tried on a later pass
    DEFERRED = "deferred"
    BAD_ENCODING = "bad encoding"  # a stacked, unknown or corrupt Content-Encoding
    OTHER = "other"


# Worth a second try within the same pass: the next attempt may well succeed. Timeouts are not
# retried (a slow site stays slow, and a retry would double the wait).
TRANSIENT = frozenset({FailureKind.DNS, FailureKind.CONNECTION, FailureKind.PROTOCOL})
# Nothing was requested, on purpose: not the site's failure.
NOT_REQUESTED = frozenset({FailureKind.REFUSED, FailureKind.NO_LINK})


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int | None = None
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncated: bool = False
    failure: FailureKind | None = None
    error: str | None = None  # the failure as one line for people; set with `failure`
    # Where a chain of permanent redirects (301/308 only) ended; None if none happened.
    moved_to: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and self.status is not None and 200 <= self.status < 300

    @property
    def refused(self) -> bool:
        """Nothing was requested, on purpose (address policy, or no link to follow)."""
        return self.failure in NOT_REQUESTED

    @property
    def transient(self) -> bool:
        """Whether trying again at once may help: a connection-level failure or a 5xx that
        gateways and overloaded servers answer."""
        if self.failure is FailureKind.HTTP_SERVER:
            return self.status in RETRYABLE_STATUS
        return self.failure in TRANSIENT

    def fail(self, kind: FailureKind, error: str) -> None:
        # one printable line: a reason phrase or an exception's text may quote the server's
        # bytes (latin-1 C1 controls, ESC sequences), which `newsmon feeds` prints
        self.failure, self.error = kind, one_line(error, MAX_ERROR_CHARS)

    @property
    def not_modified(self) -> bool:
        """The server's answer to the request's validators: what was read last time stands."""
        return self.status == 304 and self.failure is None

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


def _sendable(validator: str) -> bool:
    """Whether a stored validator (ETag, Last-Modified) can go back in a request header:
    httpx reads a header's non-ASCII bytes as latin-1 but sends only ASCII, so one such byte
    from a server failed the feed every later pass. One that cannot is not sent (the feed is
    then read whole)."""
    return validator.isascii() and validator.isprintable()


class SlotWait(Exception):
    """No connection to the host came free in time: its other requests held every slot. The
    wait is to a tenth of a second: a task's time for downloads ends it at any instant."""

    def __init__(self, host: str, seconds: float | None) -> None:
        super().__init__(
            f"waited {round(seconds or 0, 1):g}s for a connection to {host or 'the host'} "
            "(its other requests held the slots); not requested"
        )


def describe(exc: Exception) -> tuple[FailureKind, str]:
    """The kind of a request's exception and one readable line about it."""
    if isinstance(exc, AddressRefused):
        return FailureKind.REFUSED, str(exc)
    if isinstance(exc, ResolutionFailed):
        return FailureKind.DNS, "DNS lookup failed"
    if isinstance(exc, EncodingRefused):
        return FailureKind.BAD_ENCODING, str(exc)
    if isinstance(exc, BodyCut):  # like a body short of its Content-Length: broken HTTP
        return FailureKind.PROTOCOL, str(exc)
    if isinstance(exc, SlotWait):
        return FailureKind.TIMEOUT, str(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return FailureKind.TIMEOUT, "connect timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return FailureKind.TIMEOUT, "read timeout"
    if isinstance(exc, httpx.TimeoutException):
        return FailureKind.TIMEOUT, "timeout"
    certificate = _certificate_error(exc)
    if certificate is not None:
        why = certificate.verify_message or certificate.reason or "not valid"
        return FailureKind.CERTIFICATE, f"TLS certificate not accepted: {why}"[:200]
    if isinstance(exc, httpx.ConnectError):
        # httpx reports resolver failures as connect errors; only the OS's text tells them apart
        text = str(exc) or "connection failed"
        if "Name or service not known" in text or "nodename nor servname" in text:
            return FailureKind.DNS, "DNS lookup failed"
        if "Temporary failure in name resolution" in text:
            return FailureKind.DNS, "DNS lookup failed (no network?)"
        return FailureKind.CONNECTION, f"cannot connect: {text.splitlines()[0][:160]}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return FailureKind.BAD_URL, "unsupported URL scheme"
    if isinstance(exc, httpx.InvalidURL):
        return FailureKind.BAD_URL, "invalid URL"
    if isinstance(exc, httpx.HTTPError):
        detail = str(exc).splitlines()[0][:160] if str(exc) else ""
        kind = (
            FailureKind.CONNECTION if isinstance(exc, httpx.NetworkError) else FailureKind.PROTOCOL
        )
        return kind, f"{type(exc).__name__}: {detail}".rstrip(": ")
    lines = str(exc).strip().splitlines()
    detail = lines[0][:160] if lines else ""
    return FailureKind.OTHER, f"{type(exc).__name__}: {detail}".rstrip(": ")


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error httpx wrapped (a hostname mismatch, an expired or
    untrusted certificate), if that is what failed: it lasts until the site or the trust
    store changes, so it is its own kind and is not retried at once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Refuses every cookie: a response's cookies would otherwise go with every later request
    of the pass, a cookie for a parent domain (blogspot.com, substack.com) to every sibling
    host, until their headers outgrow what those servers accept (431, nginx's 400)."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False


def _blocked_address(address: str) -> str | None:
    """Why a third-party link may not reach `address` (None: a public address)."""
    ip = parse_address(address)
    return "unparseable" if ip is None else blocked_kind(ip)


class Fetcher:
    """A shared async HTTP client with the project's limits and manners.

    Two connection pools: one for the hosts the user wrote (configured feeds, `feeds add`),
    which may be anywhere, and one for everything else (article links, redirects to other
    hosts), whose connections go only to addresses the policy passed. Neither shares a
    connection with the other. `resolver` maps host names to addresses (tests map their own
    names to loopback); `transport` replaces both pools (no address policy then).
    """

    def __init__(
        self,
        config: FetchConfig,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.config = config
        self.policy = AddressPolicy(
            allow_all=config.allow_private_networks,
            allowed=networks(config.allowed_networks),
            resolver=resolver,
            lookups=config.max_connections,
        )
        limits = httpx.Limits(
            max_connections=config.max_connections,
            max_keepalive_connections=config.max_connections,
        )
        # the hosts the user wrote are looked up in threads of their own: links' names that
        # never resolve cannot make a configured feed wait
        self._user_policy = AddressPolicy(
            allow_all=True, resolver=resolver, lookups=config.max_connections
        )
        self._client = self._make_client(transport or pinned_transport(self.policy, limits))
        self._user_client = self._make_client(
            transport or pinned_transport(self._user_policy, limits)
        )
        self._global = asyncio.Semaphore(config.max_connections)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        # Pages downloaded and not yet analysed: a callers' slot from before the download until
        # the page is done with. Downloads outrun the page workers, and without it a feed of
        # 100 links to gzip bombs held 100 decoded bodies (500 MiB from 2 MB on the wire).
        self.pages_in_hand = asyncio.Semaphore(config.max_connections)
        # a page's turn: its host's queue first, then one of `pages_in_hand`
        self.turns = PageTurns(config.per_host, self.pages_in_hand)

    def _make_client(self, transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
        config = self.config
        return httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=config.total_timeout,
            ),
            follow_redirects=False,  # followed by hand: each hop is checked
            cookies=http.cookiejar.CookieJar(policy=_NoCookies()),  # one site's are no other's
            # only the codings `newsmon.bodies` can decode within a cap
            headers={"User-Agent": config.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
        await self._user_client.aclose()
        self.policy.close()
        self._user_policy.close()

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        slot = self._hosts.get(key := host_key(host))  # `ＹＮＡ.co.kr`, `yna.co.kr.`: one host
        if slot is None:
            slot = self._hosts[key] = asyncio.Semaphore(self.config.per_host)
        return slot

    @asynccontextmanager
    async def _slots(
        self, host: str, budget: asyncio.Timeout, in_turn: bool
    ) -> AsyncIterator[None]:
        """A connection to `host`: its slot and one of all hosts'. Waiting for them is not the
        fetch's time (a busy host's pages timed out in its queue, the host never slow). A page
        waits in its host's turn (`newsmon.turns`, `in_turn`), which its feed's deadline
        bounds; any other request (a feed, discovery) waits `total_timeout` at most
        (`SlotWait`): many feeds on one slow host would otherwise queue past the batch's time."""
        loop, until = asyncio.get_running_loop(), downloads_deadline()
        when, queued = budget.when(), loop.time()
        budget.reschedule(None)  # `total_timeout` stands still while the request queues
        limit = None if in_turn else self.config.total_timeout
        deadline = None if limit is None else queued + limit
        if until is not None:  # nor does it queue past the time for downloads
            deadline = until if deadline is None else min(deadline, until)
        late = partial(SlotWait, host, None if deadline is None else deadline - queued)
        async with hold_both(self._host_slot(host), self._global, deadline, late):
            if when is not None:
                ends = when + loop.time() - queued
                budget.reschedule(ends if until is None else min(ends, until))
            yield

    async def refusal(self, url: str) -> str | None:
        """Why a third-party URL may not be fetched, or None (the check every connection to
        a host the user did not write passes; a name that does not resolve is refused)."""
        why = _scheme_refusal(url)
        if why:
            return why
        try:
            await self.policy.checked(urlsplit(url).hostname or "")
        except (AddressRefused, ResolutionFailed) as exc:
            return str(exc)
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
        user_url: str | None = None,
        in_turn: bool = False,
    ) -> FetchResult:
        """GET with retries for transient failures.

        `user_url` is the URL as the user wrote it (`trusted`: `url` is): requests to its host
        skip the address policy; every other hop, redirects included, is checked. `in_turn`:
        the caller holds the page's turn (`newsmon.turns`), so its wait for a connection is
        bounded there, not here.
        """
        headers = {"Accept": accept}
        if etag and _sendable(etag):
            headers["If-None-Match"] = etag
        if last_modified and _sendable(last_modified):
            headers["If-Modified-Since"] = last_modified
        written = url if trusted else user_url
        user_host = host_key(urlsplit(written).hostname or "") if written else None
        attempt, until = 0, downloads_deadline()
        while True:
            result = await self._follow(url, headers, max_bytes, user_host, in_turn)
            if not result.transient or attempt >= self.config.retries:
                return result
            attempt += 1
            pause = min(2.0, 0.5 * attempt)
            if until is not None and asyncio.get_running_loop().time() + pause >= until:
                return result  # no time left for another try (`downloads_until`)
            await asyncio.sleep(pause)

    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        user_host: str | None,
        in_turn: bool,
    ) -> FetchResult:
        result = FetchResult(url=url, final_url=url)
        visited = {url}
        current = url
        permanent_only = True
        until = downloads_deadline()
        ends = asyncio.get_running_loop().time() + self.config.total_timeout
        budget = asyncio.timeout_at(ends if until is None else min(ends, until))
        try:
            async with budget:
                for _hop in range(self.config.max_redirects + 1):
                    refusal = _scheme_refusal(current)
                    if refusal:
                        result.fail(FailureKind.REFUSED, refusal)
                        return result
                    host = host_key(urlsplit(current).hostname or "")  # any spelling
                    client = self._user_client if host == user_host else self._client
                    location = await self._get_once(
                        client, current, headers, max_bytes, result, budget, in_turn
                    )
                    if location is None:
                        return result
                    permanent_only = permanent_only and result.status in PERMANENT_REDIRECTS
                    nxt = urljoin(current, location)
                    if nxt in visited:
                        result.fail(FailureKind.REDIRECT_LOOP, f"redirect loop at {shown_url(nxt)}")
                        return result
                    visited.add(nxt)
                    current = result.final_url = nxt
                    if permanent_only:
                        result.moved_to = nxt
                limit = self.config.max_redirects
                result.fail(
                    FailureKind.TOO_MANY_REDIRECTS, f"too many redirects (more than {limit})"
                )
        except TimeoutError:
            cut = until is not None and (budget.when() or until) >= until
            line = f"took longer than {self.config.total_timeout:g}s"
            if cut:  # the task's time, not the site's allowance, ran out
                line = "not done when the task's time for downloads ran out"
            result.fail(FailureKind.TIMEOUT, line)
        except Exception as exc:  # every failure becomes a recorded line, never a crash
            result.fail(*describe(exc))
        if result.failure is not None:
            result.content, result.moved_to = b"", None  # nothing of a failed fetch is kept
        return result

    async def _get_once(
        self,
        client: httpx.AsyncClient,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        result: FetchResult,
        budget: asyncio.Timeout,
        in_turn: bool,
    ) -> str | None:
        """One request; returns the redirect target, or None when `result` is complete."""
        host = (urlsplit(url).hostname or "").lower()
        async with (
            self._slots(host, budget, in_turn),
            client.stream("GET", fetchable(url), headers=headers) as response,
        ):
            result.status = response.status_code
            result.headers = {k.lower(): v for k, v in response.headers.items()}
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUS and location:
                return str(location)
            if response.status_code >= 400:
                kind = (
                    FailureKind.HTTP_SERVER
                    if response.status_code >= 500
                    else FailureKind.HTTP_CLIENT
                )
                reason = response.reason_phrase or ""
                result.fail(kind, f"HTTP {response.status_code} {reason}".strip())
                return None
            if not 200 <= response.status_code < 300 and not _not_modified(response, headers):
                # a 304 to a request without validators, a redirect without a Location, a 300:
                # no body to use and no failure either, it was "page fetch failed: None"
                reason = response.reason_phrase or ""
                what = "answered to a request that was not conditional"
                if response.status_code in REDIRECT_STATUS:
                    what = "without a Location to follow"
                elif response.status_code != 304:
                    what = "not an answer newsmon can use"
                line = f"HTTP {response.status_code} {reason}".strip()
                result.fail(FailureKind.PROTOCOL, f"{line}: {what}")
                return None
            result.content, result.truncated = await read_capped(
                response.aiter_raw(), response.headers.get("content-encoding"), max_bytes
            )
            return None


def _not_modified(response: httpx.Response, headers: dict[str, str]) -> bool:
    """A 304 that answers the request's own validators (If-None-Match, If-Modified-Since)."""
    conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
    return response.status_code == 304 and conditional


def _scheme_refusal(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"refused: {parts.scheme or 'no'} scheme (only http and https)"
    if not parts.hostname:
        return "refused: no host in URL"
    return None
