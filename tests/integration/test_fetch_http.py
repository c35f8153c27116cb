"""The HTTP module against a real local server: limits, manners, redirects and refusals."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from pathlib import Path

import pytest

from newsmon.config import FetchConfig
from newsmon.devsite import SiteServer, serve
from newsmon.fetch import MAX_ERROR_CHARS, FailureKind, Fetcher, FetchResult

MB = 1024 * 1024


@pytest.fixture
def site(tmp_path: Path):
    (tmp_path / "feed.xml").write_text(
        "<rss version='2.0'><channel><title>x</title></channel></rss>"
    )
    (tmp_path / "big.html").write_bytes(b"<html>" + b"x" * 300_000 + b"</html>")
    chain = {
        f"/hop{i}": {"status": 302, "headers": {"Location": f"/hop{i + 1}"}, "body": ""}
        for i in range(8)
    }
    routes = {
        **chain,
        "/down.xml": {"status": 500, "body": "Internal Server Error"},
        "/gone": {"status": 410, "body": "gone"},
        "/busy": {"status": 429, "headers": {"Retry-After": "120"}, "body": "slow down"},
        "/loop-a": {"status": 302, "headers": {"Location": "/loop-b"}, "body": ""},
        "/loop-b": {"status": 302, "headers": {"Location": "/loop-a"}, "body": ""},
        "/moved": {"status": 301, "headers": {"Location": "/moved-again"}, "body": ""},
        "/moved-again": {"status": 308, "headers": {"Location": "/feed.xml"}, "body": ""},
        "/temporary": {"status": 302, "headers": {"Location": "/feed.xml"}, "body": ""},
        "/euckr": {"file": "feed.xml", "content_type": "text/xml; charset=EUC-KR"},
        "/slow": {"delay": 2.5, "body": "late"},
        "/slowish": {"delay": 0.3, "body": "ok"},
        "/huge": {"stream_bytes": 50 * MB},
        "/latin-validators.xml": {  # sent as the bytes 0xE9 and 0xA0 (http.server: latin-1)
            "file": "feed.xml",
            "headers": {"ETag": '"caf\u00e9"', "Last-Modified": "Mon, 01 Jan 2024\u00a0GMT"},
        },
    }
    (tmp_path / "_routes.json").write_text(json.dumps(routes))
    with serve(tmp_path) as server:
        yield server


def fetch(url: str, config: FetchConfig | None = None, **kwargs) -> FetchResult:
    async def go() -> FetchResult:
        fetcher = Fetcher(config or FetchConfig(retries=0, allow_private_networks=True))
        try:
            return await fetcher.get(url, max_bytes=kwargs.pop("max_bytes", 10 * MB), **kwargs)
        finally:
            await fetcher.aclose()

    return asyncio.run(go())


def test_ok_with_user_agent_and_conditional_get(site: SiteServer) -> None:
    first = fetch(site.url("/feed.xml"))
    assert first.ok and first.status == 200 and b"<rss" in first.content
    assert site.requests[-1][1]["user-agent"].startswith("newsmon/")
    second = fetch(site.url("/feed.xml"), etag=first.headers["etag"])
    assert second.not_modified and second.content == b""
    assert site.requests[-1][1]["if-none-match"] == first.headers["etag"]


def test_http_errors_are_one_line(site: SiteServer) -> None:
    down = fetch(site.url("/down.xml"))
    assert not down.ok and down.error == "HTTP 500 Internal Server Error"
    assert down.failure is FailureKind.HTTP_SERVER and down.transient
    gone = fetch(site.url("/gone"))
    assert (gone.failure, gone.error) == (FailureKind.HTTP_CLIENT, "HTTP 410 Gone")
    busy = fetch(site.url("/busy"))
    assert busy.status == 429 and busy.headers["retry-after"] == "120"
    assert busy.failure is FailureKind.HTTP_CLIENT and not busy.transient


def test_server_errors_are_retried_once(site: SiteServer) -> None:
    fetch(site.url("/down.xml"), FetchConfig(retries=1, allow_private_networks=True))
    assert site.paths_requested().count("/down.xml") == 2


def test_what_is_retried_is_decided_by_the_kind(site: SiteServer) -> None:
    retrying = FetchConfig(retries=1, allow_private_networks=True)
    fetch(site.url("/gone"), retrying)  # 4xx: asking again will not help
    assert site.paths_requested().count("/gone") == 1
    slow = FetchConfig(retries=1, total_timeout=0.5, allow_private_networks=True)
    assert fetch(site.url("/slow"), slow).failure is FailureKind.TIMEOUT
    assert site.paths_requested().count("/slow") == 1  # a slow site stays slow
    refused = fetch("http://127.0.0.1:9/feed", retrying)  # nothing listens: connection refused
    assert refused.failure is FailureKind.CONNECTION and refused.transient


def test_body_cap_cuts_a_50_mb_download_while_streaming(site: SiteServer) -> None:
    result = fetch(site.url("/huge"), max_bytes=1 * MB)
    assert result.truncated and len(result.content) == 1 * MB and result.error is None
    time.sleep(0.2)
    assert site.bytes_sent < 10 * MB  # the client hung up; the 50 MB were never sent


def test_small_body_cap(site: SiteServer) -> None:
    result = fetch(site.url("/big.html"), max_bytes=50_000)
    assert result.truncated and len(result.content) == 50_000


def test_redirects_loops_and_limits(site: SiteServer) -> None:
    temporary = fetch(site.url("/temporary"))
    assert temporary.ok and temporary.final_url.endswith("/feed.xml") and temporary.moved_to is None
    moved = fetch(site.url("/moved"))
    assert moved.ok and moved.moved_to == site.url("/feed.xml")
    loop = fetch(site.url("/loop-a"))
    assert not loop.ok and loop.error == f"redirect loop at {site.url('/loop-a')}"
    assert loop.failure is FailureKind.REDIRECT_LOOP
    chain = fetch(site.url("/hop0"))
    assert chain.error == "too many redirects (more than 5)"
    assert chain.failure is FailureKind.TOO_MANY_REDIRECTS
    assert site.paths_requested().count("/hop6") == 0


def test_slow_endpoint_hits_the_timeout(site: SiteServer) -> None:
    started = time.monotonic()
    result = fetch(
        site.url("/slow"),
        FetchConfig(retries=0, read_timeout=1, total_timeout=5, allow_private_networks=True),
    )
    assert result.error == "read timeout" and time.monotonic() - started < 2.4
    assert result.failure is FailureKind.TIMEOUT
    total = fetch(
        site.url("/slow"),
        FetchConfig(retries=0, read_timeout=10, total_timeout=1, allow_private_networks=True),
    )
    assert (total.failure, total.error) == (FailureKind.TIMEOUT, "took longer than 1s")


def test_unreachable_and_bad_urls() -> None:
    unreachable = fetch("http://127.0.0.1:9/feed")
    assert unreachable.failure is FailureKind.CONNECTION
    assert (unreachable.error or "").startswith("cannot connect")
    ftp = fetch("ftp://example.com/x")
    assert ftp.refused and ftp.error == "refused: ftp scheme (only http and https)"


def test_charset_from_header(site: SiteServer) -> None:
    result = fetch(site.url("/euckr"))
    assert result.charset == "euc-kr" and result.content_type == "text/xml"


def test_third_party_links_into_private_networks_are_refused(site: SiteServer) -> None:
    strict = FetchConfig(retries=0)  # the default: allow_private_networks is false
    refused = fetch(site.url("/feed.xml"), strict)
    assert refused.failure is FailureKind.REFUSED and refused.refused
    assert refused.error == "refused: 127.0.0.1 is a loopback address (127.0.0.1)"
    assert site.requests == []  # nothing was sent
    assert fetch(site.url("/feed.xml"), strict, trusted=True).ok  # configured feeds are trusted
    names = {
        "intranet.example": ["10.1.2.3"],
        "router.example": ["169.254.1.1"],
        "news.example": ["93.184.216.34"],
        "v6.example": ["::1"],
        "mapped.example": ["::ffff:192.168.0.9"],
    }

    async def reasons() -> dict[str, str | None]:
        fetcher = Fetcher(strict, resolver=lambda host: names[host])
        try:
            return {h: await fetcher.refusal(f"https://{h}/a") for h in names}
        finally:
            await fetcher.aclose()

    got = asyncio.run(reasons())
    assert got["intranet.example"] == "refused: intranet.example is a private address (10.1.2.3)"
    assert "link-local" in (got["router.example"] or "")
    assert got["news.example"] is None
    assert "loopback" in (got["v6.example"] or "") and "private" in (got["mapped.example"] or "")


def test_per_host_and_global_limits(site: SiteServer) -> None:
    async def burst(config: FetchConfig, urls: list[str]) -> None:
        fetcher = Fetcher(config)
        try:
            await asyncio.gather(*(fetcher.get(u, max_bytes=1000) for u in urls))
        finally:
            await fetcher.aclose()

    same_host = [site.url("/slowish")] * 6
    asyncio.run(burst(FetchConfig(per_host=2, allow_private_networks=True), same_host))
    assert site.max_in_flight == 2
    site.max_in_flight = 0
    two_hosts = same_host[:3] + [u.replace("127.0.0.1", "localhost") for u in same_host[:3]]
    asyncio.run(burst(FetchConfig(per_host=2, allow_private_networks=True), two_hosts))
    assert site.max_in_flight == 4
    site.max_in_flight = 0
    asyncio.run(
        burst(FetchConfig(per_host=2, max_connections=1, allow_private_networks=True), two_hosts)
    )
    assert site.max_in_flight == 1


def test_validators_that_are_not_ascii_are_not_sent_back(site: SiteServer) -> None:
    """httpx reads a header's non-ASCII bytes as latin-1 but sends only ASCII: an ETag or
    Last-Modified with one such byte, stored and sent back, failed the feed every later pass
    (UnicodeEncodeError), for good. It is not sent: the feed is read whole instead."""
    first = fetch(site.url("/latin-validators.xml"))
    assert first.ok and first.headers.get("etag") == '"caf\u00e9"'
    again = fetch(
        site.url("/latin-validators.xml"),
        etag=first.headers.get("etag"),
        last_modified=first.headers.get("last-modified"),
    )
    assert again.ok and again.status == 200, again.error
    assert b"<rss" in again.content
    sent = site.requests[-1][1]
    assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_a_hostile_reason_phrase_becomes_one_printable_line() -> None:
    """The reason phrase is the server's text (latin-1: C1 controls are single bytes); it was
    stored as the feed's error as it came and printed by `newsmon feeds`: an ESC sequence or
    a C1 control acted on the operator's terminal, and its length had no bound."""
    phrase = b"Service \x1b[2J\x1b]0;pwned\x07Unavailable \x85\x9b31m" + b"x" * 5000
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 503 " + phrase + b"\r\nContent-Length: 0\r\n\r\n")

    server = threading.Thread(target=answer, daemon=True)
    server.start()
    try:
        result = fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml")
    finally:
        server.join(timeout=10)
        listener.close()
    assert not result.ok and result.error is not None
    assert result.error.startswith("HTTP 503 Service [2J]0;pwnedUnavailable")
    assert result.error.isprintable() and len(result.error) <= MAX_ERROR_CHARS


def test_no_log_line_of_a_request_shows_the_feed_s_credentials(
    site: SiteServer, caplog: pytest.LogCaptureFixture
) -> None:
    """httpx logs every request's URL (INFO): any log an operator turns up to debug a feed
    showed its key and password. The line stays, with them hidden."""
    secret = "hunter2secret"
    caplog.set_level(logging.DEBUG)
    keyed = fetch(site.url(f"/feed.xml?apikey={secret}&lang=en"))
    with_user = fetch(site.url("/feed.xml").replace("://", f"://reader:{secret}@"))
    assert keyed.ok and with_user.ok
    assert "/feed.xml?apikey=***&lang=en" in caplog.text
    assert "reader:***@" in caplog.text and secret not in caplog.text


def test_no_debug_line_shows_a_key_a_redirect_hands_out(
    site: SiteServer, caplog: pytest.LogCaptureFixture
) -> None:
    """httpcore's DEBUG trace quotes every response's headers: a move to
    `/feed.xml?access_token=…` (relative, so no URL rule sees it) put the server's key in any
    log an operator turned up to DEBUG. The trace keeps its lines and the status."""
    secret = "hunter2secret"
    location = f"/feed.xml?access_token={secret}"
    site.routes["/keyed-move"] = {"status": 301, "headers": {"Location": location}, "body": ""}
    caplog.set_level(logging.DEBUG)
    result = fetch(site.url("/keyed-move"))
    assert result.ok and result.moved_to == site.url(location)
    trace = [r.getMessage() for r in caplog.records if r.name.startswith("httpcore")]
    assert any("receive_response_headers.complete" in line and "301" in line for line in trace)
    assert secret not in caplog.text
