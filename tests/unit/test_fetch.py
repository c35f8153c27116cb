"""The fetcher's decisions without a network: failure kinds, retries, address policy, headers.

The same code against a real server: tests/integration/test_fetch_http.py.
"""

from __future__ import annotations

import httpx
import pytest

from newsmon.fetch import FailureKind, FetchResult, _blocked_address, describe


@pytest.mark.parametrize(
    ("exc", "kind", "line"),
    [
        (httpx.ConnectTimeout("x"), FailureKind.TIMEOUT, "connect timeout"),
        (httpx.ReadTimeout("x"), FailureKind.TIMEOUT, "read timeout"),
        (httpx.PoolTimeout("x"), FailureKind.TIMEOUT, "timeout"),
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            FailureKind.DNS,
            "DNS lookup failed",
        ),
        (
            httpx.ConnectError("[Errno -3] Temporary failure in name resolution"),
            FailureKind.DNS,
            "DNS lookup failed (no network?)",
        ),
        (
            httpx.ConnectError("[Errno 111] Connection refused\nmore"),
            FailureKind.CONNECTION,
            "cannot connect: [Errno 111] Connection refused",
        ),
        (httpx.ReadError("reset by peer"), FailureKind.CONNECTION, "ReadError: reset by peer"),
        (
            httpx.RemoteProtocolError("bad header"),
            FailureKind.PROTOCOL,
            "RemoteProtocolError: bad header",
        ),
        (httpx.UnsupportedProtocol("gopher"), FailureKind.BAD_URL, "unsupported URL scheme"),
        (httpx.InvalidURL("bad"), FailureKind.BAD_URL, "invalid URL"),
        (ValueError("odd"), FailureKind.OTHER, "ValueError: odd"),
    ],
)
def test_exceptions_become_a_kind_and_one_line(
    exc: Exception, kind: FailureKind, line: str
) -> None:
    assert describe(exc) == (kind, line)


def failed(kind: FailureKind | None, status: int | None = None) -> FetchResult:
    result = FetchResult("https://x.example/", "https://x.example/", status=status)
    if kind is not None:
        result.fail(kind, "whatever the message says")
    return result


@pytest.mark.parametrize(
    ("kind", "status", "transient"),
    [
        (FailureKind.CONNECTION, None, True),
        (FailureKind.DNS, None, True),
        (FailureKind.PROTOCOL, None, True),
        (FailureKind.HTTP_SERVER, 500, True),
        (FailureKind.HTTP_SERVER, 503, True),
        (FailureKind.HTTP_SERVER, 501, False),  # "not implemented" will not change
        (FailureKind.HTTP_CLIENT, 404, False),
        (FailureKind.HTTP_CLIENT, 429, False),  # throttled: the schedule waits, not a retry
        (FailureKind.TIMEOUT, None, False),
        (FailureKind.REFUSED, None, False),
        (FailureKind.BAD_URL, None, False),
        (FailureKind.REDIRECT_LOOP, 302, False),
        (None, 200, False),
    ],
)
def test_retries_are_decided_by_the_kind_not_the_message(
    kind: FailureKind | None, status: int | None, transient: bool
) -> None:
    assert failed(kind, status).transient is transient


def test_ok_refused_and_the_message_for_people() -> None:
    assert failed(None, 200).ok and not failed(None, 304).ok and failed(None, 304).not_modified
    assert not failed(FailureKind.CONNECTION, 200).ok  # cut off while reading the body
    for kind in (FailureKind.REFUSED, FailureKind.NO_LINK):
        assert failed(kind).refused and not failed(kind).ok
    assert not failed(FailureKind.HTTP_CLIENT, 404).refused
    result = failed(FailureKind.TIMEOUT)
    assert (result.failure, result.error) == (FailureKind.TIMEOUT, "whatever the message says")


def test_content_type_and_charset_from_the_header() -> None:
    result = FetchResult("u", "u", headers={"content-type": 'Text/XML; Charset="EUC-KR"'})
    assert (result.content_type, result.charset) == ("text/xml", "euc-kr")
    assert FetchResult("u", "u", headers={"content-type": "text/html"}).charset is None
    assert FetchResult("u", "u").charset is None and FetchResult("u", "u").content_type == ""


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.9", "private"),
        ("::ffff:192.168.0.9", "private"),  # IPv4-mapped IPv6
        ("169.254.1.1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "private"),  # "this network": Python counts it as private
        ("100.64.0.1", "non-global"),  # carrier-grade NAT: not private, not public either
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("::ffff:169.254.169.254", "link-local"),
        ("fd00::1", "private"),
        ("198.18.0.1", "private"),  # benchmarking
        ("2001:db8::1", "private"),  # documentation
        ("93.184.216.34", None),
        ("2606:2800:220:1::1", None),
        # IPv6 carrying an IPv4 address a tunnel or gateway delivers to: what it carries counts
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of the cloud metadata address
        ("64:ff9b::c0a8:9", "private"),  # NAT64 (RFC 6052) of 192.168.0.9
        ("::127.0.0.1", "reserved"),  # IPv4-compatible (deprecated): no public use
        ("fec0::1", "site-local"),  # deprecated site-local space (RFC 3879)
        ("2002:5db8:d822::1", None),  # 6to4 of a public address
        ("64:ff9b::5db8:d822", None),  # a public host as an IPv6-only network's DNS64 gives it
    ],
)
def test_addresses_third_party_links_may_not_reach(address: str, kind: str | None) -> None:
    assert _blocked_address(address) == kind


def test_an_unforeseen_error_is_one_bounded_line() -> None:
    """An exception of no known kind (its text may quote whatever the server sent) is recorded
    as the feed's last error: one line, cut, never a dump."""
    kind, line = describe(ValueError("header value " + "x" * 5000 + "\nsecond line"))
    assert kind is FailureKind.OTHER
    assert line.startswith("ValueError: header value xxx")
    assert "\n" not in line and "second line" not in line and len(line) <= 200
    assert describe(RuntimeError())[1] == "RuntimeError"
