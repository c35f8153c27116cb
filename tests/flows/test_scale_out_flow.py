"""Three real `monitor` flow runs at once on one PostgreSQL corpus split the feeds between them:
every feed is requested once per pass, no story is stored twice, no alert is posted twice."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsmon.corpus import Store
from newsmon.corpus.schema import ArticleRow, RunRow
from newsmon.devsite import serve
from newsmon.report import PassTotals
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack
from tests.support.postgres import PG_URL, throwaway_schema
from tests.support.synthetic_site import posted_links, write_site

pytestmark = [
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)"),
]

WORKERS, FEEDS, ITEMS = 3, 24, 2


@pytest.fixture
def pg_url() -> Iterator[str]:
    with throwaway_schema(prefix="scale") as url:
        yield url


def monitors_at_once(config: Path, n: int) -> list[PassTotals]:
    """`n` monitor flow runs started together, each in a thread of its own."""
    from flows.monitor import monitor

    barrier = threading.Barrier(n)
    results: list[PassTotals] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            results.append(asyncio.run(monitor(config_path=str(config))))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    if errors:
        raise errors[0]
    return results


def test_three_monitor_runs_at_once_split_the_feeds(
    tmp_path: Path, pg_url: str, slack: FakeSlack
) -> None:
    # Feeds answer after 2 s: the three runs are at work together, whatever their start-up.
    site = write_site(tmp_path / "site", feeds=FEEDS, items=ITEMS, feed_delay=2.0)
    with serve(site.root) as server:
        config = write_config(
            tmp_path,
            feeds=site.feed_list(),
            base=server.base,
            database_url=pg_url,
            channels={"policy": "#ai-policy"},
            fetch={"max_connections": 4, "per_host": 4},  # four feeds at a time per run
        )
        Store.open(pg_url).close()
        for round_ in (1, 2):
            totals = monitors_at_once(config, WORKERS)
            hits = Counter(p for p in server.paths_requested() if p.startswith("/feeds/"))
            assert hits == {path: round_ for _, path, _ in site.feed_list()}
            assert sum(t.feeds_ok for t in totals) == FEEDS
            assert sum(t.feeds_failed for t in totals) == 0
            # every feed is counted by the one run that fetched it; the others saw it taken
            assert sum(t.feeds_not_due for t in totals) == FEEDS * (WORKERS - 1)
            assert sum(t.feeds_ok > 0 for t in totals) >= 2  # the work was shared
            if round_ == 1:
                assert sum(t.new_articles for t in totals) == site.stories
        pages = Counter(p for p in server.paths_requested() if p.startswith("/p/"))
    assert len(pages) == site.stories and max(pages.values()) <= 2

    posts = posted_links(slack.posts)
    assert len(posts) == site.stories == len(set(posts))  # each story announced once
    store = Store.open(pg_url)
    try:
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(ArticleRow)) == site.stories
            assert s.scalar(select(func.count()).select_from(RunRow)) == 2 * WORKERS
        assert store.feeds.claim_holders() == {}
    finally:
        store.close()
