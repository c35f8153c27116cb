"""Downloads that, with legal settings, add up past the feeds task's timeout: the real `monitor`
flow, the sample site on loopback, a feed or a page whose host answers 503 after a long wait
each time (`fetch.retries: 5` tries it six times), and the feeds task's timeout shortened.

Each try stayed within `fetch.total_timeout`, but nothing bounded their sum: 6 x 120 s plus the
pauses is more than the task's 600 s, and a page granted its turn two minutes before the
task's end still had six downloads to go. The task timed out and its whole batch was recorded
failed ("internal error: TaskRunTimeoutError"), the feeds read fine with it, so `newsmon
health` blamed feeds that worked. Now every download of a feeds task ends by the task's time
for downloads (`newsmon.budget`) and no retry starts past it: the slow feed fails alone, softly;
a slow page is stored from its teaser and tried again later.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from newsmon.corpus import Store
from newsmon.devsite import SiteServer
from newsmon.poll import Severity
from tests.support.configs import write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")
TASK_SECONDS = 8.0  # the feeds task's timeout here (600 s by default)
WAIT = 1.5  # each answer's wait: within `total_timeout` (2 s), six of them are not in the task
SLOW = {"delay": WAIT, "status": 503, "body": "busy"}


def _one_item_feed(link: str) -> dict[str, str]:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>One</title><item>'
        f"<title>Open-source model weights released</title><link>{link}</link>"
        "<description>A lab released open-source model weights today.</description>"
        "</item></channel></rss>"
    )
    return {"body": body, "content_type": "application/rss+xml"}


@pytest.mark.parametrize("slow", ["feed", "page"])
def test_retried_slow_downloads_do_not_time_out_their_batch(
    tmp_path: Path, site: SiteServer, monkeypatch: pytest.MonkeyPatch, slow: str
) -> None:
    import flows.monitor as monitor_flows

    if slow == "feed":
        site.routes["/feeds/slow.xml"] = SLOW
    else:
        site.routes["/feeds/slow.xml"] = _one_item_feed(site.url("/slow/page.html"))
        site.routes["/slow/page.html"] = SLOW
    path = write_config(
        tmp_path,
        feeds=[("ai-daily-ko", "/feeds/ko-ai.xml", "ko"), ("slow", "/feeds/slow.xml")],
        base=site.base,
        default_channel="#ai-news",
        fetch={"retries": 5, "total_timeout": 2.0},
    )
    task = monitor_flows.process_feeds_task.with_options(timeout_seconds=TASK_SECONDS, retries=0)
    monkeypatch.setattr(monitor_flows, "process_feeds_task", task)
    started = time.monotonic()
    totals = asyncio.run(monitor_flows.monitor(config_path=str(path)))
    elapsed = time.monotonic() - started
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        health = {h.name: h for h in store.feed_health()}
        articles = {a.url: a for a in store.list_articles(limit=100)}
    finally:
        store.close()
    assert health["ai-daily-ko"].last_error is None, health["ai-daily-ko"].last_error
    slow_feed = health["slow"]
    if slow == "feed":  # failed alone, as a slow feed, not as a crashed batch
        assert (totals.feeds_ok, totals.feeds_failed) == (1, 1), totals
        assert slow_feed.failure_kind == Severity.SOFT, slow_feed
        assert "internal error" not in (slow_feed.last_error or ""), slow_feed.last_error
    else:  # the feed is read; its page is stored from its teaser, to be tried again
        assert (totals.feeds_ok, totals.feeds_failed) == (2, 0), totals
        assert slow_feed.last_error is None, slow_feed.last_error
        page = articles[site.url("/slow/page.html")]
        assert page.text_source == "feed-summary", page
    assert elapsed < 3 * TASK_SECONDS, elapsed
