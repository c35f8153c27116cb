"""Aggregator feeds (Google News searches and look-alikes), through the real parser and pipeline
against two loopback sites: the aggregator, whose items link wrapper pages on its own host
(a redirect page that needs JavaScript), title "Headline - Publisher", describe the item by
its headline and publisher only, and name the origin in `<source url="…">Publisher</source>`;
and the publisher, whose own feed links the article. Never Google's host: the class of feed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.config import Config
from newsmon.corpus.records import ArticleView
from newsmon.devsite import SiteServer, serve
from newsmon.feeds import parse_feed
from newsmon.pipeline import Context
from tests.integration.test_fetching import rss, run_pass
from tests.support.configs import make_config

HEADLINE = "DeepSeek releases the weights of its open source reasoning model"
BODY = (
    "<p>" + "DeepSeek published the weights of its open source reasoning model on GitHub today, "
    "and researchers can download the training code with them. " * 6 + "</p>"
)
# what an aggregator's wrapper page holds for a reader without JavaScript
REDIRECT_PAGE = (
    "<html><head><title>Aggregator News</title></head><body><article><p>"
    + "Opening the article for you. Aggregator News brings you the stories of thousands of "
    "publishers, open source models and AI safety among them; this one is on its way. "
    * 4
    + "</p></article></body></html>"
)
DATE = "Mon, 24 Feb 2025 09:00:00 +0000"


def _site(root: Path, routes: dict[str, object] | None = None) -> None:
    root.mkdir()
    (root / "_routes.json").write_text(json.dumps(routes or {}))


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "publisher"
    _site(root)
    (root / "story.html").write_text(
        f"<html><body><h1>{HEADLINE}</h1><article>{BODY}</article></body></html>"
    )
    with serve(root) as server:
        own = (
            f"<item><title>{HEADLINE}</title><link>{server.base}/story.html</link>"
            f"<description>DeepSeek published the weights.</description>"
            f"<pubDate>{DATE}</pubDate></item>"
        )
        (root / "feed.xml").write_text(rss(own, "<title>Example Times</title>"))
        yield server


@pytest.fixture
def aggregator(tmp_path: Path, publisher: SiteServer) -> Iterator[SiteServer]:
    root = tmp_path / "aggregator"
    page = {"body": REDIRECT_PAGE, "content_type": "text/html; charset=utf-8"}
    _site(root, {"/rss/articles/CBMiK2h0": page})
    with serve(root) as server:
        wrapper = f"{server.base}/rss/articles/CBMiK2h0"
        described = (
            f'&lt;a href="{wrapper}" target="_blank"&gt;{HEADLINE}&lt;/a&gt;&amp;nbsp;&amp;nbsp;'
            '&lt;font color="#6f6f6f"&gt;Example Times&lt;/font&gt;'
        )
        found = (
            f"<item><title>{HEADLINE} - Example Times</title><link>{wrapper}</link>"
            f'<guid isPermaLink="false">CBMiK2h0</guid><pubDate>{DATE}</pubDate>'
            f"<description>{described}</description>"
            f'<source url="{publisher.base}">Example Times</source></item>'
        )
        (root / "search.xml").write_text(rss(found, "<title>open source AI - Aggregator</title>"))
        yield server


def stored(config: Config) -> list[ArticleView]:
    """Every stored article, oldest first (two copies share a title)."""
    ctx = Context.open(config)
    try:
        return sorted(ctx.store.list_articles(limit=100), key=lambda a: a.id)
    finally:
        ctx.close()


def test_an_aggregated_item_is_read_as_its_publisher_s_headline(
    aggregator: SiteServer, publisher: SiteServer
) -> None:
    """The title's " - Publisher" suffix is the `<source>`'s name, not the headline; the
    description holding only the headline and that name is no teaser of the story."""
    data = (Path(aggregator.root) / "search.xml").read_bytes()
    (entry,) = parse_feed(data, f"{aggregator.base}/search.xml").entries
    assert entry.title == HEADLINE
    assert entry.publisher == "Example Times"
    assert entry.wrapped  # the link is the aggregator's page, not the publisher's


def test_an_aggregator_s_wrapper_page_is_not_read_as_the_article(
    tmp_path: Path, aggregator: SiteServer, publisher: SiteServer
) -> None:
    """The wrapper page's text ("Opening the article for you…") was stored as the
    article, classified and deduplicated: the item is its feed's text, the page not requested."""
    config = make_config(tmp_path, feeds=[("agg", f"{aggregator.base}/search.xml")])
    run_pass(config)
    (article,) = stored(config)
    with sqlite3.connect(tmp_path / "corpus.db") as db:
        (text,) = db.execute("SELECT text FROM articles").fetchone()
    assert "Aggregator News" not in text, (article.text_source, text)
    assert "/rss/articles/CBMiK2h0" not in aggregator.paths_requested()
    assert article.text_source != "page"
    assert article.title == HEADLINE


@pytest.mark.parametrize("aggregator_first", [False, True])
def test_the_publisher_s_story_and_its_aggregated_headline_are_one_story(
    tmp_path: Path,
    aggregator: SiteServer,
    publisher: SiteServer,
    aggregator_first: bool,
    db_url: str,
) -> None:
    """The publisher's own feed and a search feed carrying its story under a wrapper link, a
    suffixed title and a headline-only description: two stories, two alerts, in either order."""
    own = ("own", f"{publisher.base}/feed.xml")
    agg = ("agg", f"{aggregator.base}/search.xml")
    first, second = (agg, own) if aggregator_first else (own, agg)
    run_pass(make_config(tmp_path, feeds=[first], database_url=db_url))
    config = make_config(tmp_path, feeds=[first, second], database_url=db_url)
    outcomes = run_pass(config)
    assert outcomes[second[0]].new_articles == 0, outcomes[second[0]]
    rows = stored(config)
    assert len(rows) == 2
    assert rows[1].duplicate_of_id == rows[0].id
    assert [r.title for r in rows] == [HEADLINE, HEADLINE]


def test_an_aggregated_story_s_alert_names_its_publisher(
    tmp_path: Path, aggregator: SiteServer, db_url: str
) -> None:
    """The alert of a story only a search feed carried named the feed ("agg", the team's
    "Google News") as its source: the publisher its `<source>` names is said, via the feed."""
    config = make_config(
        tmp_path, feeds=[("agg", f"{aggregator.base}/search.xml")], database_url=db_url
    )
    run_pass(config)
    ctx = Context.open(config)
    try:
        (job,) = ctx.store.pending_alerts(10)
    finally:
        ctx.close()
    assert job.source == "Example Times via agg"
    assert job.title == HEADLINE


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[SiteServer]:
    """Another outlet, not the one the aggregator's `<source>` names, with its own story under
    the very same headline (two outlets' rewrites of one press release share it)."""
    root = tmp_path / "other"
    _site(root)
    (root / "story.html").write_text(
        f"<html><body><h1>{HEADLINE}</h1><article><p>"
        + "Another outlet's own report, in its own words, on the reasoning model. " * 8
        + "</p></article></body></html>"
    )
    with serve(root) as server:
        own = (
            f"<item><title>{HEADLINE}</title><link>{server.base}/story.html</link>"
            f"<description>Another outlet on the model.</description>"
            f"<pubDate>{DATE}</pubDate></item>"
        )
        (root / "feed.xml").write_text(rss(own, "<title>Other Daily</title>"))
        yield server


@pytest.mark.parametrize("aggregator_first", [False, True])
def test_an_aggregated_headline_does_not_join_another_site_s_story(
    tmp_path: Path,
    aggregator: SiteServer,
    other_site: SiteServer,
    aggregator_first: bool,
    db_url: str,
) -> None:
    """The aggregator names Example Times (its `<source url>`); Other Daily's own story under
    the same headline is another outlet's: it joined by headline alone, and the Example Times
    story was never announced (or, read later from its own feed, joined the wrong one)."""
    other = ("other", f"{other_site.base}/feed.xml")
    agg = ("agg", f"{aggregator.base}/search.xml")
    first, second = (agg, other) if aggregator_first else (other, agg)
    run_pass(make_config(tmp_path, feeds=[first], database_url=db_url))
    config = make_config(tmp_path, feeds=[first, second], database_url=db_url)
    outcomes = run_pass(config)
    assert outcomes[second[0]].new_articles == 1, outcomes[second[0]]
    rows = stored(config)
    assert [r.duplicate_of_id for r in rows] == [None, None]


def pending(config: Config) -> list[tuple[str | None, str | None, str]]:
    """Each alert waiting to be sent: its source, title and link."""
    ctx = Context.open(config)
    try:
        return [(j.source, j.title, j.url) for j in ctx.store.pending_alerts(10)]
    finally:
        ctx.close()


def test_a_pending_aggregated_alert_links_the_publisher_s_page_once_its_feed_has_it(
    tmp_path: Path,
    aggregator: SiteServer,
    publisher: SiteServer,
    other_site: SiteServer,
    db_url: str,
) -> None:
    """The search feed announced the story first (its wrapper page the only link known), then
    the publisher's own feed carried it before the alert went out: one alert for the story,
    named by the publisher via the search feed, linking the publisher's page, never the
    aggregator's redirect; another outlet's same headline is its own story."""
    agg = ("agg", f"{aggregator.base}/search.xml")
    own = ("own", f"{publisher.base}/feed.xml")
    other = ("other", f"{other_site.base}/feed.xml")
    run_pass(make_config(tmp_path, feeds=[agg], database_url=db_url))
    config = make_config(tmp_path, feeds=[agg, own, other], database_url=db_url)
    run_pass(config)
    jobs = pending(config)
    assert len(jobs) == 2, jobs
    assert ("Example Times via agg", HEADLINE, f"{publisher.base}/story.html") in jobs, jobs
    assert ("other", HEADLINE, f"{other_site.base}/story.html") in jobs, jobs


def _second_aggregator(root: Path, publisher: SiteServer, name: str) -> Iterator[SiteServer]:
    """Another search feed (a Bing News beside a Google News) carrying the same story, its
    publisher named as that aggregator spells it, under its own wrapper link."""
    _site(root)
    with serve(root) as server:
        found = (
            f"<item><title>{HEADLINE} - {name}</title>"
            f"<link>{server.base}/news/apiclick?id=77</link><pubDate>{DATE}</pubDate>"
            f"<description>{HEADLINE} {name}</description>"
            f'<source url="{publisher.base}/">{name}</source></item>'
        )
        (root / "search.xml").write_text(rss(found, "<title>AI news search</title>"))
        yield server


@pytest.mark.parametrize("name", ["Example Times", "The Example Times (US edition)"])
def test_two_aggregators_carrying_one_publisher_s_story_make_one_alert(
    tmp_path: Path, aggregator: SiteServer, publisher: SiteServer, name: str, db_url: str
) -> None:
    """Two search feeds list Example Times' story (one spelling its name otherwise, as
    aggregators do: the `<source url>` is the same site): one story, one alert."""
    for server in _second_aggregator(tmp_path / "second", publisher, name):
        feeds = [("agg", f"{aggregator.base}/search.xml"), ("bing", f"{server.base}/search.xml")]
        config = make_config(tmp_path, feeds=feeds, database_url=db_url)
        run_pass(config)
        rows = stored(config)
        assert len(rows) == 2
        assert rows[1].duplicate_of_id == rows[0].id, rows
        jobs = pending(config)
        assert len(jobs) == 1, jobs
        assert jobs[0][0] in ("Example Times via agg", f"{name} via bing"), jobs
