"""A host the user wrote is one host however a page or a redirect spells it (Unicode, punycode,
full width, capitals), through the real fetcher against a loopback site."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.config import FetchConfig
from newsmon.devsite import SiteServer, serve
from newsmon.fetch import Fetcher, FetchResult
from tests.integration.test_aggregator_feeds import DATE, HEADLINE, pending, publisher
from tests.integration.test_fetching import rss, run_pass
from tests.support.configs import make_config

__all__ = ["publisher"]  # a fixture of this module's tests


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "feed.xml").write_text("<rss version='2.0'><channel/></rss>", encoding="utf-8")
    with serve(root) as server:
        yield server


def test_the_host_the_user_wrote_is_trusted_under_any_spelling_of_it(site: SiteServer) -> None:
    """`feeds add http://한국일보.kr/` for an intranet site: its page's feed link, written
    `xn--…`, was another host to the fetcher, and the address policy refused the user's own
    host (private address); so did `yna.co.kr` for a user who wrote `ＹＮＡ.co.kr`."""
    strict = FetchConfig(retries=0)  # allow_private_networks off: only the user's host passes

    async def fetch(url: str, user_url: str) -> FetchResult:
        fetcher = Fetcher(strict, resolver=lambda _host: [site.host])
        try:
            return await fetcher.get(url, max_bytes=1000, user_url=user_url)
        finally:
            await fetcher.aclose()

    port = site.port
    for written, link in (
        (f"http://한국일보.kr:{port}/", f"http://xn--3e0bm80ac2h5no.kr:{port}/feed.xml"),
        (f"http://ＹＮＡ.co.kr:{port}/", f"http://YNA.co.kr.:{port}/feed.xml"),
    ):
        got = asyncio.run(fetch(link, written))
        assert got.ok, got.error
    assert site.paths_requested() == ["/feed.xml", "/feed.xml"]
    stranger = asyncio.run(fetch(f"http://other.kr:{port}/feed.xml", f"http://한국일보.kr:{port}/"))
    assert stranger.refused  # another host is still a stranger's


@pytest.fixture
def spelled_aggregator(tmp_path: Path, publisher: SiteServer) -> Iterator[SiteServer]:
    """A search feed whose `<source url>` writes the publisher's host in full width."""
    root = tmp_path / "aggregator"
    root.mkdir()
    (root / "_routes.json").write_text("{}")
    with serve(root) as server:
        source = publisher.base.replace("127.0.0.1", "１２７．０．０．１")
        found = (
            f"<item><title>{HEADLINE} - Example Times</title>"
            f"<link>{server.base}/rss/articles/CBMiK2h0</link>"
            f'<guid isPermaLink="false">CBMiK2h0</guid><pubDate>{DATE}</pubDate>'
            f'<source url="{source}">Example Times</source></item>'
        )
        (root / "search.xml").write_text(rss(found, "<title>open source AI - Aggregator</title>"))
        yield server


def test_an_aggregated_headline_joins_its_publisher_s_story_under_another_spelling(
    tmp_path: Path, spelled_aggregator: SiteServer, publisher: SiteServer
) -> None:
    """The `<source url>` spelled the publisher's host otherwise than its own feed's links
    (full width here; Unicode against punycode alike): the headline was taken for another
    site's, so the story got two alerts, one linking the aggregator's wrapper."""
    agg = ("agg", f"{spelled_aggregator.base}/search.xml")
    own = ("own", f"{publisher.base}/feed.xml")
    run_pass(make_config(tmp_path, feeds=[agg]))
    config = make_config(tmp_path, feeds=[agg, own])
    run_pass(config)
    assert pending(config) == [("Example Times via agg", HEADLINE, f"{publisher.base}/story.html")]
