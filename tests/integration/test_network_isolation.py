"""One site's answers cannot break the fetches of another: real servers on loopback, with host
names mapped to them by the fetcher's resolver (127.0.0.2 and 127.0.0.3 stand in for the
internet through `fetch.allowed_networks`)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.config import FetchConfig
from newsmon.devsite import SiteServer
from newsmon.fetch import Fetcher, FetchResult

PUBLIC_NETS = ["127.0.0.2/32", "127.0.0.3/32"]
FEED = "<rss version='2.0'><channel><title>good</title></channel></rss>"


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[SiteServer, SiteServer]]:
    """An innocent site (127.0.0.2) and a hostile one (127.0.0.3) under one parent domain, as
    publishers share blogspot.com or substack.com."""
    good, evil = tmp_path / "good", tmp_path / "evil"
    good.mkdir()
    evil.mkdir()
    (good / "feed.xml").write_text(FEED)
    (good / "page.html").write_text("<html><body><p>An innocent page.</p></body></html>")
    # two answers, each setting a 40 KB cookie for the whole parent domain: the request
    # carrying both is over the header line limit of the innocent server (http.server: 64 KiB;
    # nginx answers 400 past 8 KiB)
    routes = {
        f"/{name}": {
            "body": FEED,
            "content_type": "application/rss+xml",
            "headers": {"Set-Cookie": f"{name}={'x' * 40_000}; Domain=.news.test; Path=/"},
        }
        for name in ("a", "b")
    }
    (evil / "_routes.json").write_text(json.dumps(routes))
    servers = (
        SiteServer(good.resolve(), host="127.0.0.2").start(),
        SiteServer(evil.resolve(), host="127.0.0.3").start(),
    )
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_a_sites_cookies_reach_no_other_site(sites: tuple[SiteServer, SiteServer]) -> None:
    """httpx keeps the cookies a response sets and sends them with every later request of the
    pass: a hostile feed or page set cookies for its parent domain, and every sibling host's
    feeds and pages carried them (a tracker across the pass), until the headers grew past what
    the sibling's server accepts and its feeds and pages failed (HTTP 431, or nginx's 400: a
    hard failure, backed off for hours). No cookie is kept now."""
    good, evil = sites
    names = {"good.news.test": ["127.0.0.2"], "evil.news.test": ["127.0.0.3"]}
    evil_base = f"http://evil.news.test:{evil.port}"
    good_base = f"http://good.news.test:{good.port}"

    async def go() -> tuple[FetchResult, FetchResult]:
        config = FetchConfig(retries=0, allowed_networks=PUBLIC_NETS)
        fetcher = Fetcher(config, resolver=lambda host: names[host])
        try:
            for path in ("/a", "/b"):  # a configured feed and an article link
                assert (await fetcher.get(evil_base + path, max_bytes=10_000, trusted=True)).ok
                assert (await fetcher.get(evil_base + path, max_bytes=10_000)).ok
            feed = await fetcher.get(good_base + "/feed.xml", max_bytes=10_000, trusted=True)
            page = await fetcher.get(good_base + "/page.html", max_bytes=10_000)
            return feed, page
        finally:
            await fetcher.aclose()

    feed, page = asyncio.run(go())
    assert feed.ok and b"<title>good</title>" in feed.content, feed.error
    assert page.ok and b"innocent" in page.content, page.error
    assert [path for path, _ in good.requests] == ["/feed.xml", "/page.html"]
    assert all("cookie" not in sent for _, sent in good.requests + evil.requests)


def test_name_servers_that_never_answer_cannot_starve_the_other_feeds(
    sites: tuple[SiteServer, SiteServer],
) -> None:
    """Host names are resolved in threads. A feed linking to many names whose name servers
    never answer (a dead domain's) held every thread of the event loop's one executor, which
    the pass shares with every feed's look-ups (and its database calls): a configured feed's
    look-up waited in line behind them until its connect timeout, and the feed failed as a
    timeout its site never caused. Its look-up no longer waits behind links'."""
    good, _ = sites
    hang = 3.0

    def resolver(host: str) -> list[str]:
        if host.endswith(".blackhole.test"):
            time.sleep(hang)  # a name server that does not answer, until the resolver gives up
            raise OSError("Temporary failure in name resolution")
        return {"good.news.test": ["127.0.0.2"]}[host]

    config = FetchConfig(
        retries=0,
        connect_timeout=1.0,
        total_timeout=5.0,
        max_connections=64,  # more links in flight than the default executor has threads
        allowed_networks=PUBLIC_NETS,
    )
    links = [f"http://p{i}.blackhole.test/story" for i in range(40)]

    async def go() -> tuple[FetchResult, float, list[FetchResult]]:
        fetcher = Fetcher(config, resolver=resolver)
        try:
            pages = asyncio.gather(*(fetcher.get(u, max_bytes=1000) for u in links))
            await asyncio.sleep(0.2)  # the links' look-ups are under way
            started = time.monotonic()
            feed_url = f"http://good.news.test:{good.port}/feed.xml"
            feed = await fetcher.get(feed_url, max_bytes=10_000, trusted=True)
            return feed, time.monotonic() - started, await pages
        finally:
            await fetcher.aclose()

    feed, waited, pages = asyncio.run(go())
    assert feed.ok, feed.error
    assert waited < 1.0
    assert all(not page.ok and page.failure is not None for page in pages)
