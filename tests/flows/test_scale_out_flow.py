"""Three real `monitor` flow runs of one schedule slot on one PostgreSQL corpus split the feeds
between them: every feed is requested once per pass, no story is stored twice, no alert is
posted twice. The runs share their scheduled start, as a schedule's runs do, so however late
each one really starts (seconds apart on a loaded machine) none fetches again what another did."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def wait_for_a_checked_feed(db_url: str, timeout: float = 120) -> None:
    store = Store.open(db_url)
    try:
        deadline = time.monotonic() + timeout
        while not any(h.last_checked_at for h in store.feed_health()):
            assert time.monotonic() < deadline, "no feed was checked"
            time.sleep(0.2)
    finally:
        store.close()


def monitors_at_once(config: Path, n: int, db_url: str) -> list[PassTotals]:
    """`n` runs of `monitor` for one schedule slot, as a schedule with n workers makes them:
    created Scheduled for the same time, then each run by its own thread at once."""
    from flows.monitor import monitor
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow_async
    from prefect.states import Scheduled

    parameters = {"config_path": str(config)}
    slot = datetime.now(UTC)
    with get_client(sync_client=True) as client:
        runs = [
            client.create_flow_run(
                monitor, parameters=parameters, state=Scheduled(scheduled_time=slot)
            )
            for _ in range(n)
        ]
    barrier = threading.Barrier(n)
    results: list[PassTotals] = []
    errors: list[BaseException] = []

    def one(i: int, run: Any) -> None:
        try:
            barrier.wait()
            if i == n - 1:  # a worker that picks its run up late, after feeds were fetched
                wait_for_a_checked_feed(db_url)
            results.append(
                asyncio.run(run_flow_async(monitor, flow_run=run, parameters=parameters))
            )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i, r)) for i, r in enumerate(runs)]
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
    # Feeds answer after 2 s: the three runs are at work together.
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
            totals = monitors_at_once(config, WORKERS, pg_url)
            hits = Counter(p for p in server.paths_requested() if p.startswith("/feeds/"))
            assert hits == {path: round_ for _, path, _ in site.feed_list()}
            assert sum(t.feeds_ok for t in totals) == FEEDS
            assert sum(t.feeds_failed for t in totals) == 0
            # every feed is counted by the one run that fetched it; the others saw it taken:
            # held by the run at work on it, or fetched already (for them, not due)
            skipped = sum(t.feeds_not_due + t.feeds_held for t in totals)
            assert skipped == FEEDS * (WORKERS - 1)
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
