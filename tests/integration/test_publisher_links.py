"""Item links as publishers write them, through the real parser and pipeline against loopback
sites: relative links in a feed served from another host than its site's, `?from=rss`-style
marks, FeedBurner's proxy links with the original beside them. Each must give the page's own
address (read, not a 404's teaser) and one key with the site's other links to it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.devsite import SiteServer, serve
from tests.integration.test_fetching import BODY, articles, item, rss, run_pass, site_config
from tests.support.configs import make_config

FEEDBURNER = 'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"'


def _served(root: Path) -> None:
    root.mkdir()
    (root / "_routes.json").write_text(json.dumps({}))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    """The publisher's site: one story."""
    root = tmp_path / "www"
    _served(root)
    (root / "2025" / "03").mkdir(parents=True)
    page = f"<html><body><article>{BODY}</article></body></html>"
    (root / "2025" / "03" / "x.html").write_text(page, encoding="utf-8")
    with serve(root) as server:
        yield server


@pytest.fixture
def feeds(tmp_path: Path) -> Iterator[SiteServer]:
    """The publisher's feed host (`feeds.example.com`): feeds only, no pages."""
    root = tmp_path / "feeds"
    _served(root)
    with serve(root) as server:
        yield server


def publish(server: SiteServer, name: str, body: str) -> None:
    (Path(server.root) / name).write_text(body, encoding="utf-8")


def test_relative_item_links_resolve_against_the_channel_s_site(
    tmp_path: Path, site: SiteServer, feeds: SiteServer
) -> None:
    """`<link>/2025/03/x.html</link>` in a feed on the feed host about the site: the link was
    the feed host's (a 404, stored from its teaser, keyed apart from the site's own links)."""
    channel = f"<link>{site.base}/</link>"
    publish(feeds, "feed.xml", rss(item("/2025/03/x.html"), channel))
    publish(site, "feed.xml", rss(item(f"{site.base}/2025/03/x.html")))
    config = site_config(
        tmp_path,
        site,
        {"cdn": f"{feeds.base}/feed.xml", "own": f"{site.base}/feed.xml"},
        allow_private_networks=True,
    )
    outcomes = run_pass(config)
    stored = list(articles(config).values())
    assert len(stored) == 1, [a.url for a in stored]
    assert stored[0].url == f"{site.base}/2025/03/x.html"
    assert stored[0].text_source == "page"
    assert not [p for p in feeds.paths_requested() if p.startswith("/2025")]
    assert sum(o.new_articles for o in outcomes.values()) == 1, outcomes


def test_feed_marks_in_links_are_not_part_of_the_story_s_key(
    tmp_path: Path, site: SiteServer
) -> None:
    """`?from=rss`, `?ref=rss`: the site's main feed and a section feed marking its links
    gave one story two keys (two rows, the second a copy)."""
    page = f"{site.base}/2025/03/x.html"
    publish(site, "feed.xml", rss(item(page)))
    publish(site, "section.xml", rss(item(f"{page}?from=rss&ref=rss_main")))
    publish(site, "tech.xml", rss(item(f"{page}?source=RSS")))
    paths = {"main": "/feed.xml", "section": "/section.xml", "tech": "/tech.xml"}
    config = site_config(tmp_path, site, paths, allow_private_networks=True)
    outcomes = run_pass(config)
    stored = list(articles(config).values())
    assert len(stored) == 1, [a.url for a in stored]
    assert sum(o.new_articles for o in outcomes.values()) == 1, outcomes
    assert sum(o.already_seen for o in outcomes.values()) == 2, outcomes


def test_feedburner_items_are_their_original_links(
    tmp_path: Path, site: SiteServer, feeds: SiteServer
) -> None:
    """FeedBurner links every item through its proxy and writes the original in
    `feedburner:origLink`: the proxy link was the key and the page requested."""
    original = f"{site.base}/2025/03/x.html"
    proxied = (
        f"<item><title>딥시크 오픈소스 공개</title><link>{feeds.base}/~r/ex/~3/abc/</link>"
        f"<feedburner:origLink>{original}</feedburner:origLink>"
        "<description>요약: 가중치를 오픈소스로 공개</description></item>"
    )
    body = rss(proxied).replace('<rss version="2.0">', f'<rss version="2.0" {FEEDBURNER}>')
    publish(feeds, "fb.xml", body)
    publish(site, "feed.xml", rss(item(original)))
    config = site_config(
        tmp_path,
        site,
        {"fb": f"{feeds.base}/fb.xml", "own": f"{site.base}/feed.xml"},
        allow_private_networks=True,
    )
    outcomes = run_pass(config)
    stored = list(articles(config).values())
    assert [a.url for a in stored] == [original]
    assert stored[0].text_source == "page"
    assert "/~r/ex/~3/abc/" not in feeds.paths_requested()
    assert sum(o.new_articles for o in outcomes.values()) == 1, outcomes


def test_a_one_item_feed_s_next_story_at_the_same_link_and_guid_is_announced(
    tmp_path: Path, site: SiteServer, db_url: str
) -> None:
    """A one-item feed whose CMS gives every story the same link and GUID: the next story was
    taken for an edit of the first (re-read, updated in place, never announced)."""
    from tests.integration.test_feed_entry_identity import STORIES, entry

    root = Path(site.root)
    page = f"{site.base}/2025/03/x.html"
    guid = '<guid isPermaLink="false">top-story</guid>'

    def show(story: int) -> None:
        title, text = STORIES[story]
        body = f"<html><body><article><h1>{title}</h1><p>{text}</p></article></body></html>"
        (root / "2025" / "03" / "x.html").write_text(body, encoding="utf-8")
        publish(site, "feed.xml", rss(entry(story, page, guid)))

    show(0)
    config = make_config(
        tmp_path,
        feeds=[("top", "/feed.xml")],
        base=site.base,
        database_url=db_url,
        fetch={"allow_private_networks": True},
    )
    first = run_pass(config)["top"]
    assert (first.new_articles, first.alerts_queued) == (1, 1), first
    show(1)
    second = run_pass(config, force=True)["top"]
    assert (second.new_articles, second.alerts_queued, second.updated) == (1, 1, 0), second
    third = run_pass(config, force=True)["top"]
    assert (third.new_articles, third.alerts_queued, third.updated) == (0, 0, 0), third
    stored = articles(config)
    assert set(stored) == {STORIES[0][0], STORIES[1][0]}
    # the publisher then corrects the new story's headline: an edit, not a third story
    title = STORIES[1][0]
    fixed = entry(1, page, guid).replace(title, title + "했다")
    publish(site, "feed.xml", rss(fixed))
    edit = run_pass(config, force=True)["top"]
    assert (edit.new_articles, edit.alerts_queued, edit.updated) == (0, 0, 1), edit


def test_a_feedburner_item_whose_original_link_is_too_long_is_read_through_its_proxy(
    tmp_path: Path, site: SiteServer, feeds: SiteServer
) -> None:
    """An origLink over `MAX_LINK_CHARS` left the entry with no link at all: its page never
    read (the teaser stored), no link to alert with. Its proxy `<link>`, which leads to the
    page, is its link now: the page is requested through it and read."""
    from newsmon.bounds import MAX_LINK_CHARS

    original = f"{site.base}/2025/03/x.html?ref=" + "a" * MAX_LINK_CHARS
    proxy = "/~r/ex/~3/abc/"
    moved = {"Location": f"{site.base}/2025/03/x.html"}
    routes = {proxy: {"status": 302, "headers": moved, "body": ""}}
    feeds.routes.update(routes)  # the proxy's answer: a redirect to the page
    proxied = (
        f"<item><title>딥시크 오픈소스 공개</title><link>{feeds.base}{proxy}</link>"
        f"<feedburner:origLink>{original}</feedburner:origLink>"
        "<description>요약: 가중치를 오픈소스로 공개</description></item>"
    )
    body = rss(proxied).replace('<rss version="2.0">', f'<rss version="2.0" {FEEDBURNER}>')
    publish(feeds, "fb.xml", body)
    config = site_config(
        tmp_path, site, {"fb": f"{feeds.base}/fb.xml"}, allow_private_networks=True
    )
    outcomes = run_pass(config)
    [stored] = articles(config).values()
    assert stored.url == f"{feeds.base}{proxy}" and stored.text_source == "page", (
        stored,
        feeds.paths_requested(),
        site.paths_requested(),
    )
    assert proxy in feeds.paths_requested()
    assert "proxy link" in (outcomes["fb"].warning or ""), outcomes
