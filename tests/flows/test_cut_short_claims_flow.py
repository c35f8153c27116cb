"""Feed claims of a pass that was cut short (its flow timed out, was cancelled, its worker was
lost): the operator's natural reaction is to run again at once, and that run must read the
feeds, or say plainly which ones another run holds. Real `monitor` flows through the Prefect
test harness, the sample site on loopback (a feed made to hang), SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flows.monitor import monitor
from prefect.flow_engine import FlowRunTimeoutError

from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.corpus.records import FeedSpec, RunStatus
from newsmon.devsite import SiteServer
from newsmon.pipeline.claims import CLAIM_LEASE
from tests.support.configs import write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")

FEED = "/feeds/en-ai.atom"


def test_a_forced_pass_right_after_a_timeout_reads_the_feed_the_timed_out_pass_held(
    tmp_path: Path, site: SiteServer, db_url: str
) -> None:
    """The timed-out pass held its claim on the hung feed for the rest of its 5-minute lease:
    `newsmon run --force` run right after it skipped the feed and counted it "not due", with
    exit 0, though nothing had read it. The pass that timed out is over (recorded crashed):
    its claims go with it, and the next pass reads the feed."""
    feeds = [("frontier-wire", FEED, "en")]
    config = write_config(tmp_path, feeds=feeds, base=site.base, database_url=db_url)
    site.routes[FEED] = {"delay": 30, "body": "<rss/>"}  # the feed hangs: the pass times out
    with pytest.raises(FlowRunTimeoutError):
        asyncio.run(monitor.with_options(timeout_seconds=8)(config_path=str(config)))
    assert site.paths_requested() == [FEED]  # it was at work on the feed when it timed out
    del site.routes[FEED]  # the site answers again; the operator runs a pass at once

    totals = asyncio.run(monitor(config_path=str(config), force=True))

    store = Store.open(load_config(config).database_url)
    try:
        statuses = [r.status for r in store.runs.recent_runs("monitor")]
        holders = store.feeds.claim_holders()
    finally:
        store.close()
    assert statuses == [RunStatus.COMPLETED, RunStatus.CRASHED]
    assert (totals.feeds_ok, totals.feeds_not_due) == (1, 0)
    assert totals.new_articles > 0
    assert holders == {}


def test_a_batch_that_timed_out_leaves_its_feed_free_for_the_next_pass(
    tmp_path: Path, site: SiteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of feeds that timed out (twice: it is retried once) is recorded failed and the
    pass goes on to complete, but its claims stayed held for their lease: a pass run at once
    after it found the feed taken and counted it "not due", unread, though it was due."""
    import flows.monitor

    short = flows.monitor.process_feeds_task.with_options(
        timeout_seconds=10, retries=0, retry_delay_seconds=0
    )
    monkeypatch.setattr(flows.monitor, "process_feeds_task", short)
    monkeypatch.setattr(flows.monitor, "FEEDS_PER_TASK", 1)  # the other feed's batch works
    feeds = [("frontier-wire", FEED, "en"), ("ko-wire", "/feeds/ko-ai.xml", "ko")]
    config = write_config(tmp_path, feeds=feeds, base=site.base)
    site.routes[FEED] = {"delay": 30, "body": "<rss/>"}  # the feed hangs: its batch times out
    first = asyncio.run(monitor(config_path=str(config)))
    assert (first.feeds_ok, first.feeds_failed) == (1, 1)
    assert FEED in site.paths_requested()
    del site.routes[FEED]
    monkeypatch.undo()

    totals = asyncio.run(monitor(config_path=str(config), force=True))

    assert (totals.feeds_ok, totals.feeds_not_due) == (2, 0)


def test_a_feed_another_run_holds_is_counted_held_not_not_due(
    tmp_path: Path, site: SiteServer, db_url: str
) -> None:
    """A forced pass meeting a feed under another run's live claim (a pass at work on it, or
    one killed without giving it back) must leave it alone, and said so only as "1 not due",
    the word for a feed whose time has not come: the operator took an unread feed for read.
    It is counted apart, in the totals and the run's stored summary."""
    feeds = [("frontier-wire", FEED, "en")]
    config = write_config(tmp_path, feeds=feeds, base=site.base, database_url=db_url)
    store = Store.open(load_config(config).database_url)
    try:
        [state] = store.sync_feeds([FeedSpec("frontier-wire", site.base + FEED, "en")]).values()
        now = datetime.now(UTC)
        other = store.claim_feeds(
            [state.id], "worker-2:4242:0badf00d", pass_started=now, lease=CLAIM_LEASE, now=now
        )
        assert list(other) == [state.id]

        totals = asyncio.run(monitor(config_path=str(config), force=True))

        [run] = store.runs.recent_runs("monitor", limit=1)
        holders = store.feeds.claim_holders()
    finally:
        store.close()
    assert site.paths_requested() == []  # never read by two runs at once
    assert (totals.feeds_ok, totals.feeds_not_due, totals.feeds_held) == (0, 0, 1)
    assert run.status is RunStatus.COMPLETED and run.summary["feeds_held"] == 1
    assert holders == {"frontier-wire": "worker-2:4242:0badf00d"}  # not given back by this run
