"""Several passes at once on one corpus split the feeds: each feed is fetched by one of them.

Plain passes (no Prefect) in threads, each with its own engine as a worker process would have,
against a generated site on loopback that records every request; SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.corpus.records import FeedSpec
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.devsite import SiteServer, serve
from newsmon.pipeline import (
    Context,
    DeliveryOutcome,
    FeedOutcome,
    PassClaim,
    deliver,
    process_feeds,
)
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack
from tests.support.postgres import PG_URL, throwaway_schema
from tests.support.synthetic_site import SyntheticSite, posted_links, write_site

FEEDS, ITEMS = 12, 3


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[tuple[SyntheticSite, SiteServer]]:
    # Every feed answers after 0.5 s, so the passes are all at work at the same time.
    site = write_site(tmp_path / "site", feeds=FEEDS, items=ITEMS, feed_delay=0.5)
    with serve(site.root) as server:
        yield site, server


def run_passes(config: Path, n: int) -> list[tuple[list[FeedOutcome], DeliveryOutcome]]:
    """`n` passes started at the same moment, each in its own thread with its own engine."""
    cfg = load_config(config)
    contexts = [Context.open(cfg) for _ in range(n)]
    barrier = threading.Barrier(n)
    results: list[tuple[list[FeedOutcome], DeliveryOutcome]] = []
    errors: list[BaseException] = []

    def one(ctx: Context) -> None:
        async def go() -> list[FeedOutcome]:
            async with ctx.fetching() as fetcher:
                return await process_feeds(ctx, fetcher, cfg.feeds)

        try:
            barrier.wait()
            outcomes = asyncio.run(go())
            delivery = deliver(ctx)
            results.append((outcomes, delivery))
        except BaseException as exc:  # surfaced below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(c,)) for c in contexts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for ctx in contexts:
        ctx.close()
    if errors:
        raise errors[0]
    return results


def test_passes_at_once_fetch_each_feed_once_and_alert_each_story_once(
    tmp_path: Path,
    db_url: str,
    generated: tuple[SyntheticSite, SiteServer],
    slack: FakeSlack,
) -> None:
    site, server = generated
    config = write_config(
        tmp_path,
        feeds=site.feed_list(),
        base=server.base,
        database_url=db_url,
        channels={"policy": "#ai-policy"},
        fetch={"max_connections": 3, "per_host": 3},  # three feeds at a time per pass
    )
    Store.open(db_url).close()  # migrated once, before the workers start
    n = 2 if db_url.startswith("sqlite") else 3

    for round_ in (1, 2):
        results = run_passes(config, n)
        feed_hits = Counter(p for p in server.paths_requested() if p.startswith("/feeds/"))
        # every feed fetched by exactly one pass in each round
        assert feed_hits == {path: round_ for _, path, _ in site.feed_list()}
        fetched = Counter(o.feed for outcomes, _ in results for o in outcomes if not o.taken)
        assert fetched == {name: 1 for name, _, _ in site.feed_list()}
        # the work is shared: a pass claims a feed only when it has a slot free for it
        assert all(any(not o.taken for o in outcomes) for outcomes, _ in results)
        assert all(o.ok for outcomes, _ in results for o in outcomes)

    pages = Counter(p for p in server.paths_requested() if p.startswith("/p/"))
    assert len(pages) == site.stories
    # a page is fetched once, unless two feeds carrying it were fetched at the same moment
    assert all(c == 1 for p, c in pages.items() if not p.endswith("/0.html"))
    assert max(pages.values()) <= 2

    store = Store.open(db_url)
    try:
        with store.session() as s:
            articles = s.scalar(select(func.count()).select_from(ArticleRow))
            originals = s.scalar(
                select(func.count(func.distinct(ArticleRow.content_hash))).where(
                    ArticleRow.duplicate_of_id.is_(None)
                )
            )
            alerts = s.scalar(select(func.count()).select_from(AlertRow))
            if db_url.startswith("sqlite"):
                assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert articles == originals == site.stories  # no story stored twice
        assert alerts == site.stories
        assert store.feeds.claim_holders() == {}  # every claim released
    finally:
        store.close()
    posts = posted_links(slack.posts)
    assert len(posts) == site.stories and len(set(posts)) == len(posts)  # each story once


def test_a_slow_feed_s_claim_is_renewed_while_its_pass_works(
    tmp_path: Path, generated: tuple[SyntheticSite, SiteServer]
) -> None:
    site, server = generated
    server.routes[site.feed_path(0)] = {"delay": 2.5}
    config = write_config(
        tmp_path, feeds=site.feed_list()[:1], base=server.base, channels={"policy": "#p"}
    )
    cfg = load_config(config)
    slow, late = Context.open(cfg), Context.open(cfg)
    slow.claim = PassClaim(lease=timedelta(seconds=0.6))  # lapses 4 times during the fetch
    late.claim = PassClaim(started=slow.claim.started)  # the same slot, started later

    async def one(ctx: Context, wait: float) -> list[FeedOutcome]:
        await asyncio.sleep(wait)
        async with ctx.fetching() as fetcher:
            return await process_feeds(ctx, fetcher, cfg.feeds)

    async def both() -> tuple[list[FeedOutcome], list[FeedOutcome]]:
        return await asyncio.gather(one(slow, 0), one(late, 1.5))

    try:
        first, second = asyncio.run(both())
    finally:
        slow.close()
        late.close()
    assert not first[0].taken and first[0].ok and second[0].taken
    assert server.paths_requested().count(site.feed_path(0)) == 1


def test_a_failed_renewal_neither_fails_the_pass_nor_ends_the_renewals(
    tmp_path: Path, generated: tuple[SyntheticSite, SiteServer]
) -> None:
    """The database refuses one renewal (a lock held too long, a dropped connection): the
    feed the pass was working on is still stored and reported, and its claim is renewed at
    the next turn, so a pass of the same slot started later still finds it taken."""
    site, server = generated
    server.routes[site.feed_path(0)] = {"delay": 2.5}
    config = write_config(
        tmp_path, feeds=site.feed_list()[:1], base=server.base, channels={"policy": "#p"}
    )
    cfg = load_config(config)
    slow, late = Context.open(cfg), Context.open(cfg)
    slow.claim = PassClaim(lease=timedelta(seconds=0.6))  # renewed every 0.2 s
    late.claim = PassClaim(started=slow.claim.started)
    renew = slow.store.renew_claims
    refused: list[int] = []

    def renew_but_refuse_once(ids: list[int], owner: str, lease: timedelta) -> int:
        if not refused:
            refused.append(len(ids))
            raise OperationalError("UPDATE feeds", {}, sqlite3.OperationalError("locked"))
        return renew(ids, owner, lease)

    slow.store.renew_claims = renew_but_refuse_once  # type: ignore[method-assign]

    async def one(ctx: Context, wait: float) -> list[FeedOutcome]:
        await asyncio.sleep(wait)
        async with ctx.fetching() as fetcher:
            return await process_feeds(ctx, fetcher, cfg.feeds)

    async def both() -> tuple[list[FeedOutcome], list[FeedOutcome]]:
        return await asyncio.gather(one(slow, 0), one(late, 1.5))

    try:
        first, second = asyncio.run(both())
        health = {h.name: h for h in slow.store.feed_health()}
    finally:
        slow.close()
        late.close()
    assert refused == [1]
    assert not first[0].taken and first[0].ok and first[0].new_articles == first[0].entries > 0
    assert second[0].taken
    assert server.paths_requested().count(site.feed_path(0)) == 1
    name = site.feed_list()[0][0]
    assert health[name].consecutive_failures == 0 and health[name].last_error is None


@pytest.mark.postgres
def test_a_worker_whose_clock_runs_ahead_takes_over_no_live_feed_claim() -> None:
    """Feed claims were written and judged in each worker's clock: a host 20 minutes ahead saw
    a 5-minute claim another host had just taken as lapsed and fetched the feed as well. They
    are now in the database server's clock; the worker's own `now` only says what is due."""
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="feedskew") as url:
        holder, ahead = Store.open(url), Store.open(url)
        try:
            state = holder.sync_feeds([FeedSpec("wire", "https://wire.example/feed", None)])["wire"]
            real = datetime.now(UTC)
            lease = timedelta(minutes=5)
            got = holder.claim_feeds([state.id], "holder", pass_started=real, lease=lease, now=real)
            assert list(got) == [state.id]
            skewed = real + timedelta(minutes=20)  # the other host's clock
            taken = ahead.claim_feeds(
                [state.id], "ahead", pass_started=skewed, lease=lease, now=skewed
            )
            assert taken == {} and ahead.feeds.claim_holders() == {"wire": "holder"}
        finally:
            holder.close()
            ahead.close()
