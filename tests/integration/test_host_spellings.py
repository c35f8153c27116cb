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
