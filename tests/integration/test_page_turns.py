"""A feed of many pages on one slow host, next to a feed on another host, through the pipeline
against two real loopback servers (127.0.0.1 and 127.0.0.2): the slow host's queue holds
neither the other feed's pages nor the batch past its time."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newsmon.clock import utcnow
from newsmon.config import Config
from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import SiteServer
from newsmon.health import ProblemKind
from newsmon.pipeline import Context, FeedOutcome, process_feed, process_feeds
from newsmon.pipeline.checkup import health_report
from newsmon.turns import deadline_in
from tests.integration.test_fetch_boundary import WORDS, rss, story
from tests.support.configs import make_config

SLOW_PAGES = 6
SLOW_SECONDS = 1.0  # each of the slow host's pages; one at a time (per_host 1)
BUDGET = 2.5  # the feed's pages: the slow feed's six would take six seconds
FETCH: dict[str, Any] = {
    "per_host": 1,
    "max_connections": 2,  # two pages in hand at once, across both feeds
    "total_timeout": 3.0,
    "feed_pages_budget_seconds": BUDGET,
}


def _site(root: Path, host: str, routes: dict[str, dict[str, Any]], seed: int) -> SiteServer:
    root.mkdir()
    for n in range(SLOW_PAGES):  # distinct articles, not copies of one another
        text = story(seed=seed + n)
        for word in WORDS:  # words of its own: no copy of another page, near or not
            text = text.replace(f"{word} ", f"{word}{seed + n} ")
        body = f"<html><body><article>{text}</article></body></html>"
        (root / f"p{n}.html").write_text(body)
    (root / "_routes.json").write_text(json.dumps(routes))
    return SiteServer(root.resolve(), host=host).start()


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[SiteServer, SiteServer]]:
    slow_routes = {
        f"/slow{n}": {"delay": SLOW_SECONDS, "file": f"p{n}.html"} for n in range(SLOW_PAGES)
    }
    slow = _site(tmp_path / "slow", "127.0.0.1", slow_routes, seed=0)
    (slow.root / "slow.xml").write_text(rss(*(f"/slow{n}" for n in range(SLOW_PAGES))))
    # the quick feed answers a little later, so its pages queue behind the slow feed's
    quick_routes = {
        "/quick.xml": {"delay": 0.3, "file": "quick.xml"},
        "/q0": {"file": "p0.html"},
        "/q1": {"file": "p1.html"},
    }
    quick = _site(tmp_path / "quick", "127.0.0.2", quick_routes, seed=100)
    (quick.root / "quick.xml").write_text(rss("/q0", "/q1").replace("story ", "quick "))
    try:
        yield slow, quick
    finally:
        slow.stop()
        quick.stop()


@dataclass
class Timed:
    outcome: FeedOutcome
    seconds: float


def run_feeds(config: Config, later: timedelta = timedelta()) -> dict[str, Timed]:
    """Every feed of `config` at once through one fetcher, as a batch runs them; each feed's
    own time is measured. `later`: the pass runs that much after now (retries fall due)."""
    ctx = Context.open(config)

    async def timed(fetcher: Any, index: int) -> Timed:
        started = time.monotonic()
        feed = config.feeds[index]
        outcome = await process_feed(ctx, fetcher, feed, utcnow() + later, force=True)
        return Timed(outcome, time.monotonic() - started)

    async def go() -> list[Timed]:
        # the worker processes started first (~1 s), as they are for all but a pass's first feeds
        await ctx.pages.parse_feed(rss().encode(), "http://127.0.0.1/", None, "", max_entries=1)
        async with ctx.fetching() as fetcher:
            return list(await asyncio.gather(*(timed(fetcher, i) for i in range(2))))

    try:
        return {t.outcome.feed: t for t in asyncio.run(go())}
    finally:
        ctx.close()


def articles(config: Config) -> dict[str, ArticleRow]:
    ctx = Context.open(config)
    try:
        with ctx.store.session() as s:
            return {a.url.rsplit("/", 1)[1]: a for a in s.scalars(select(ArticleRow))}
    finally:
        ctx.close()


def two_feeds(tmp_path: Path, slow: SiteServer, quick: SiteServer) -> Config:
    feeds = [("slow", slow.url("/slow.xml")), ("quick", quick.url("/quick.xml"))]
    return make_config(tmp_path, feeds=feeds, fetch=FETCH)


def test_a_slow_hosts_queue_does_not_hold_another_feeds_pages(
    tmp_path: Path, sites: tuple[SiteServer, SiteServer]
) -> None:
    """The slow feed's pages each took one of the pass's pages-in-hand slots and then queued
    for their host: the quick feed's two pages, on a host that answers at once, waited for
    the slow host's pages to be done with, one second each."""
    slow, quick = sites
    timed = run_feeds(two_feeds(tmp_path, slow, quick))
    assert timed["quick"].outcome.ok and timed["quick"].outcome.new_articles == 2
    assert timed["quick"].outcome.pages_failed == 0
    assert timed["quick"].seconds < 2 * SLOW_SECONDS, timed["quick"].seconds
    assert slow.max_in_flight == 1  # the slow host is still asked one page at a time


def test_pages_beyond_the_feeds_budget_are_left_for_a_later_pass(
    tmp_path: Path, sites: tuple[SiteServer, SiteServer]
) -> None:
    """Pages still queued for their host when the feed's page budget is spent are stored from
    their teasers, counted as deferred (not as the host's timeouts), and read next pass; the
    feed ends within its budget and one page's time, not after all its pages' time."""
    slow, quick = sites
    config = two_feeds(tmp_path, slow, quick)
    first = run_feeds(config)["slow"]
    outcome = first.outcome
    assert outcome.ok and outcome.new_articles == SLOW_PAGES
    assert outcome.pages_failed == 0  # no page failed: the host answered every page it got
    assert 1 <= outcome.pages_deferred < SLOW_PAGES
    assert outcome.warning is not None and "left for a later pass" in outcome.warning
    assert first.seconds < BUDGET + SLOW_SECONDS + 1.0, first.seconds
    stored = articles(config)
    teasers = {k: a for k, a in stored.items() if k.startswith("slow") and a.text_source != "page"}
    assert len(teasers) == outcome.pages_deferred
    for article in teasers.values():
        assert article.page_retry_at is not None  # tried again, soon
        assert "took longer than" not in (article.extraction_note or "")
    requested = {p for p in slow.paths_requested() if p.startswith("/slow")}
    assert requested.isdisjoint(f"/{k}" for k in teasers)  # never asked for: not the host's

    for route in slow.routes.values():  # the host is quick again
        route.pop("delay", None)
    again = run_feeds(config, later=timedelta(hours=1))["slow"].outcome
    assert again.pages_recovered == len(teasers) and again.pages_deferred == 0
    assert all(a.text_source == "page" for k, a in articles(config).items())


def test_a_page_deferred_pass_after_pass_is_given_up_a_day_after_it_fell_due(
    tmp_path: Path, sites: tuple[SiteServer, SiteServer]
) -> None:
    """A deferral counts no try, so a feed whose page budget is always spent before its
    pages' turn (a budget too small for its host) kept them due for ever, unrequested: claimed
    and looked up every pass, and read, if ever, long after their story's neighbours left
    the near-duplicate index. Deferred for more than a day after it fell due, a page is given
    up: its teaser stays, and it says why."""
    slow, _ = sites
    feeds = [("slow", slow.url("/slow.xml"))]
    config = make_config(tmp_path, feeds=feeds, fetch=FETCH | {"feed_pages_budget_seconds": 1e-3})
    first = run_one(config)
    assert first.new_articles == SLOW_PAGES and first.pages_deferred == SLOW_PAGES
    for hours in (1, 20):  # due, deferred again: no try counted, still due
        outcome = run_one(config, timedelta(hours=hours))
        assert outcome.pages_deferred == SLOW_PAGES and outcome.pages_retried == 0
        stored = articles(config).values()
        assert all(a.page_retry_at is not None and a.page_attempts == 0 for a in stored)
    outcome = run_one(config, timedelta(hours=25))
    assert outcome.pages_deferred == SLOW_PAGES
    for article in articles(config).values():
        assert article.page_retry_at is None and article.text_source == "feed-summary"
        assert article.extraction_note and "given up" in article.extraction_note
    assert run_one(config, timedelta(hours=26)).pages_deferred == 0  # nothing due any more
    assert not [p for p in slow.paths_requested() if p.startswith("/slow") and p != "/slow.xml"]
    # pages never read are pages unread: health names the feed (they were left out, so a
    # budget too small for its host left every story classified on its teaser, health green)
    ctx = Context.open(config)
    try:
        report = health_report(ctx.store, config, utcnow() + timedelta(hours=26))
    finally:
        ctx.close()
    unread = [p for p in report.problems if p.kind is ProblemKind.PAGES_UNREAD]
    assert [p.subject for p in unread] == ["slow"]
    assert f"{SLOW_PAGES} of its {SLOW_PAGES} articles" in unread[0].message


def run_one(config: Config, later: timedelta = timedelta()) -> FeedOutcome:
    """The configuration's one feed through a pass `later` than now."""
    ctx = Context.open(config)

    async def go() -> FeedOutcome:
        async with ctx.fetching() as fetcher:
            return await process_feed(ctx, fetcher, config.feeds[0], utcnow() + later, force=True)

    try:
        return asyncio.run(go())
    finally:
        ctx.close()


def test_no_page_gets_its_turn_after_the_batchs_own_time(
    tmp_path: Path, sites: tuple[SiteServer, SiteServer]
) -> None:
    """A feed's page budget counts from the feed's own start: a budget longer than the feeds
    task's timeout (or a feed started late in its batch) let a slow host's pages run the whole
    batch into that timeout, every feed of it then recorded as failed. `pages_until` (what the
    task has left) ends the turns first: the rest is deferred, as by the budget."""
    slow, _ = sites
    feeds = [("slow", slow.url("/slow.xml"))]
    config = make_config(tmp_path, feeds=feeds, fetch=FETCH | {"feed_pages_budget_seconds": 600})
    ctx = Context.open(config)

    async def go() -> tuple[FeedOutcome, float]:
        await ctx.pages.parse_feed(rss().encode(), "http://127.0.0.1/", None, "", max_entries=1)
        started = time.monotonic()
        async with ctx.fetching() as fetcher:
            until = deadline_in(BUDGET)
            [outcome] = await process_feeds(ctx, fetcher, config.feeds, pages_until=until)
        return outcome, time.monotonic() - started

    try:
        outcome, seconds = asyncio.run(go())
    finally:
        ctx.close()
    assert outcome.ok and outcome.new_articles == SLOW_PAGES
    assert 1 <= outcome.pages_deferred < SLOW_PAGES
    assert seconds < BUDGET + SLOW_SECONDS + 1.0, seconds
