"""Whether a found feed is one configured already (`discover.configured_as`), and where
`feeds add` probes for one (`discover.common_paths`): pure, no network."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from newsmon.config import FeedConfig
from newsmon.discover import FoundFeed, common_paths, configured_as

OLD = "https://old.example/rss"
NEW = "https://new.example/feed"
FEEDS = [FeedConfig(name="wire", url=OLD)]


def test_the_address_asked_is_compared_as_well_as_where_it_led() -> None:
    found = FoundFeed(NEW, None, 1, None, reached=NEW, asked=OLD)
    assert configured_as(found, FEEDS) is FEEDS[0]


def test_a_move_recorded_for_the_configured_url_makes_its_target_configured() -> None:
    found = FoundFeed(NEW, None, 1, None, reached=NEW, asked=NEW)
    assert configured_as(found, FEEDS) is None
    assert configured_as(found, FEEDS, {"wire": (OLD, NEW)}) is FEEDS[0]
    # a move recorded before the operator changed the feed's URL is no longer the feed's
    elsewhere = [FeedConfig(name="wire", url="https://other.example/rss")]
    assert configured_as(found, elsewhere, {"wire": (OLD, NEW)}) is None


def test_a_feed_at_an_amp_spelling_of_a_configured_one_is_another_feed() -> None:
    """`feeds add` refused the "amp" section's feed as the site's main feed, configured."""
    main = [FeedConfig(name="main", url="https://news.example/rss")]
    section = "https://news.example/rss/amp"
    found = FoundFeed(section, None, 1, None, reached=section, asked=section)
    assert configured_as(found, main) is None
    again = "http://www.news.example/rss/?utm_source=x"
    assert configured_as(FoundFeed(again, None, 1, None, asked=again), main) is main[0]


@pytest.mark.parametrize(
    "page",
    [
        "http://news.example/\\evil.example/x/page",
        "http://news.example/@evil.example/x/page",
        "http://news.example/a%2F%2Fevil.example/page",
        "http://news.example/blog/",
        "http://xn--bcher-kva.example/%EB%89%B4%EC%8A%A4/a;p=1/page?q=/x#f",
        "http://news.example/" + "/".join(["d"] * 500) + "/page",
    ],
)
def test_every_probe_is_on_the_pages_host_and_few(page: str) -> None:
    """A folder named `\\evil.example` or `@evil.example` is a path on the page's host, not
    another host; however deep the page, at most 20 addresses are probed."""
    probes = common_paths(urlsplit(page).path)
    assert 8 <= len(probes) <= 20 and len(set(probes)) == len(probes), probes
    for path in probes:
        assert path.startswith("/") and not path.startswith("//"), path
        assert httpx.URL(urljoin(page, path)).host == httpx.URL(page).host, path
