"""Which addresses newsmon may connect to, and connecting only to the address that was checked.

Links and redirects come from strangers, so a host name is resolved once, every address it
resolves to is checked against the policy (only globally routable unicast addresses pass,
unless the configuration allows private networks or names networks of its own), and the TCP
connection goes to a checked address. The check and the connection cannot disagree, so a name
that resolves to a public address for the check and to a private one a moment later (DNS
rebinding) gains nothing. The Host header and the TLS server name stay the URL's host name,
because the HTTP layer above never learns which address was used.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import os
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpcore
import httpx

Resolver = Callable[[str], list[str]]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The policy refused every address of a host; the message is one line for people."""


class ResolutionFailed(Exception):
    """The host name did not resolve: nothing is sent (the check cannot be made)."""


def system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def parse_address(text: str) -> IPAddress | None:
    """An IP address literal (brackets and IPv6 zone allowed), IPv4-mapped IPv6 unwrapped."""
    try:
        ip = ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


# IPv6 prefixes whose addresses carry an IPv4 address that a relay or gateway delivers to:
# 6to4 (2002::/16, RFC 3056) and NAT64's well-known prefix (64:ff9b::/96, RFC 6052, what DNS64
# gives on an IPv6-only network). What they carry is what they reach: Python calls 6to4 global
# whatever it carries, so 2002:7f00:1:: (127.0.0.1) passed, and NAT64 reserved, so no public
# host could be reached through DNS64.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def carried_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4 or NAT64 address carries, else None."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_kind(ip: IPAddress) -> str | None:
    """Why an address is not a public internet host (None when it is)."""
    carried = carried_ipv4(ip)
    if carried is not None:
        return blocked_kind(carried)
    for kind, flag in (
        ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved or ip.is_unspecified),
        # 100.64.0.0/10 (carrier-grade NAT), 192.0.0.0/24 and the like
        ("non-global", not ip.is_global),
    ):
        if flag:
            return kind
    return None


class AddressPolicy:
    """The address check for one fetcher. `allow_all` turns it off (configured feeds' own
    hosts, or `fetch.allow_private_networks`); `allowed` lists networks that pass although not
    public (an intranet, or loopback addresses a test treats as the internet).

    Look-ups run in threads of the policy's own (up to `lookups`), not the event loop's
    executor: a name server that never answers holds its thread until the resolver gives up,
    long after the request's timeout, and in the shared executor such threads made every other
    look-up and database call of the pass wait (close it with `close`)."""

    def __init__(
        self,
        *,
        allow_all: bool = False,
        allowed: Iterable[IPNetwork] = (),
        resolver: Resolver = system_resolver,
        lookups: int = 8,
    ) -> None:
        self.allow_all = allow_all
        self.allowed = tuple(allowed)
        self.resolver = resolver
        self._lookups = ThreadPoolExecutor(lookups, thread_name_prefix="newsmon-dns")

    def close(self) -> None:
        """Stops the look-up threads (one still waiting on a name server ends when it answers)."""
        self._lookups.shutdown(wait=False, cancel_futures=True)

    def refusal(self, host: str, address: str) -> str | None:
        """Why `host` may not be reached at `address`, or None."""
        ip = parse_address(address)
        if ip is None:
            return f"refused: {host} resolved to something that is not an address"
        if self.allow_all or any(ip in net for net in self.allowed if net.version == ip.version):
            return None
        kind = blocked_kind(ip)
        return f"refused: {host} is a {kind} address ({address})" if kind else None

    async def resolve(self, host: str) -> list[str]:
        """The addresses of `host` (itself when it is an address); ResolutionFailed if none."""
        if parse_address(host) is not None:
            return [host.strip("[]")]
        try:
            found = await asyncio.get_running_loop().run_in_executor(
                self._lookups, self.resolver, host
            )
        except (OSError, UnicodeError, KeyError) as exc:
            raise ResolutionFailed(f"DNS lookup failed for {host}") from exc
        if not found:
            raise ResolutionFailed(f"DNS lookup failed for {host}")
        return list(found)

    async def checked(self, host: str) -> list[str]:
        """The addresses of `host`, if every one of them passes (a host that also resolves
        into private space is refused: which address a connection gets is not ours to pick
        by luck); AddressRefused otherwise."""
        addresses = await self.resolve(host)
        for address in addresses:
            why = self.refusal(host, address)
            if why:
                raise AddressRefused(why)
        return addresses


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, but connecting only to addresses the policy checked just
    now; TLS (started on the returned stream by httpcore) still names the host."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(self._policy.checked(host), timeout)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"DNS lookup for {host} timed out") from None
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CAs, or `SSL_CERT_FILE` / `SSL_CERT_DIR` as httpx
    reads them), built once for each CA setting and shared: loading the CA bundle cost 0.02 s of
    CPU for each client of each pass. A CA file or folder changed on disk is read again."""
    cafile, capath = os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", "")
    return _tls_context(cafile, capath, _stamp(cafile or capath))


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path) if path else None
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size) if st else (0, 0)


@functools.lru_cache(maxsize=8)
def _tls_context(cafile: str, capath: str, stamp: tuple[int, int]) -> ssl.SSLContext:
    """Keyed by what `httpx.create_ssl_context` reads, which it reads from the environment."""
    return httpx.create_ssl_context()


def pinned_transport(policy: AddressPolicy, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go through `PinnedBackend`.

    httpx takes no network backend, so its connection pool is rebuilt with one (same TLS
    context and limits; HTTP/1.1 only, as before)."""
    transport = httpx.AsyncHTTPTransport(verify=tls_context(), limits=limits)
    old = transport._pool
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=old._ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=PinnedBackend(policy),
    )
    return transport


def networks(texts: Sequence[str]) -> list[IPNetwork]:
    return [ipaddress.ip_network(t, strict=False) for t in texts]
