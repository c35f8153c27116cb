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

Likewise pages downloaded in time but queued for busy page workers (more pages in hand than
workers, each page up to `extract.page_timeout_seconds` once a worker takes it): what has no
worker by the task's time for CPU work is left for the next pass.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.records import FeedHealth
from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import SiteServer
from newsmon.poll import Severity
from tests.support.configs import config_data, write_config

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
        assert slow_feed.last_error is None, slow_feed.last_error
        page = articles[site.url("/slow/page.html")]
        assert page.text_source == "feed-summary", page
    assert elapsed < 3 * TASK_SECONDS, elapsed


QUEUED_TASK_SECONDS = 16.0  # room for the pass's start on a loaded machine
HOSTS = 10  # hosts of pages each over its extraction budget: two in hand a host (`per_host`)
BURNER = "<html><body>" + "<p>x" * 99_000 + "</body></html>"  # seconds of trafilatura
QUICK = "<html><body><article><p>A short article, read at once.</p></article></body></html>"


@pytest.fixture
def burners(tmp_path: Path) -> Iterator[list[SiteServer]]:
    """Pages over any short extraction budget, `/0.html` and `/1.html` on each of `HOSTS`
    loopback hosts: a host's pages are in hand two at a time, so the more hosts, the more
    pages queue for the workers."""
    (tmp_path / "burn").mkdir()
    servers = [
        SiteServer((tmp_path / "burn").resolve(), host=f"127.0.0.{2 + i}") for i in range(HOSTS)
    ]
    for server in servers:
        server.routes = {
            f"/{n}.html": {"body": BURNER, "content_type": "text/html"} for n in (0, 1)
        }
        server.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_pages_queued_for_busy_workers_do_not_time_out_their_batch(
    tmp_path: Path, site: SiteServer, burners: list[SiteServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pebble counts a page's budget from when a worker takes it: pages downloaded in time but
    queued behind slow ones (more pages in hand than workers) waited past the task's end, and
    its whole batch was recorded failed ("internal error: TaskRunTimeoutError"), the feed read
    fine with it too. Now CPU work no worker took by the task's time for it is not run: its
    entries are left, unstored, for the next pass, which stores them."""
    import flows.monitor as monitor_flows

    links = [server.url(f"/{n}.html") for server in burners for n in (0, 1)]
    items = "".join(
        f"<item><title>Page {i}</title><link>{link}</link><description>A teaser.</description>"
        "</item>"
        for i, link in enumerate(links)
    )
    site.routes["/feeds/burn.xml"] = {
        "body": f'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>{items}'
        "</channel></rss>",
        "content_type": "application/rss+xml",
    }
    data = config_data(
        tmp_path,
        feeds=[("ai-daily-ko", "/feeds/ko-ai.xml", "ko"), ("burn", "/feeds/burn.xml")],
        base=site.base,
        default_channel="#ai-news",
    )
    data["workers"] = 1
    data["extract"] = {"page_timeout_seconds": 1.0}
    path = tmp_path / "newsmon.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    task = monitor_flows.process_feeds_task.with_options(
        timeout_seconds=QUEUED_TASK_SECONDS, retries=0
    )
    monkeypatch.setattr(monitor_flows, "process_feeds_task", task)
    started = time.monotonic()
    first = asyncio.run(monitor_flows.monitor(config_path=str(path)))
    elapsed = time.monotonic() - started
    health, rows = _feeds_and_articles(tmp_path)
    assert (first.feeds_ok, first.feeds_failed) == (2, 0), first
    assert health["ai-daily-ko"].last_error is None, health["ai-daily-ko"].last_error
    assert health["burn"].last_error is None, health["burn"].last_error
    left = first.entries - len(rows)  # not stored: left for the next pass
    # stored, page due (newsmon.turns), no try counted; a burner whose worker a loaded machine
    # stalled is due again too, with its try counted (newsmon.pipeline.page_tries)
    deferred = sum(at is not None and tries == 0 for at, tries in rows.values())
    assert left > 0 and left + deferred == first.pages_deferred, (first, rows)
    assert set(links) & set(rows), rows  # a page given a worker is stored, teaser and all
    assert elapsed < 2 * QUEUED_TASK_SECONDS, elapsed
    for server in burners:  # quick pages now: the next pass stores every entry left
        server.routes = {f"/{n}.html": {"body": QUICK, "content_type": "text/html"} for n in (0, 1)}
    second = asyncio.run(monitor_flows.monitor(config_path=str(path)))
    _, rows = _feeds_and_articles(tmp_path)
    assert second.feeds_ok == 2 and len(rows) == first.entries, (second, rows)
    assert set(links) <= set(rows), rows


def _feeds_and_articles(tmp_path: Path) -> tuple[dict[str, FeedHealth], dict[str, Any]]:
    """Each feed's health, and each stored article's URL with its page's next try and tries."""
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        health = {h.name: h for h in store.feed_health()}
        with store.session() as s:
            rows = {
                r.url: (r.page_retry_at, r.page_attempts) for r in s.scalars(select(ArticleRow))
            }
    finally:
        store.close()
    return health, rows
