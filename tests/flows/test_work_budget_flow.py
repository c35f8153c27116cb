"""A CPU budget (`fetch.feed_parse_timeout_seconds`, `extract.page_timeout_seconds`) mistyped by
orders of magnitude (1e10, 3600) is refused when the file is loaded, in one line naming the key,
the value and the range; within range, a feed slow to parse fails alone. The real `monitor`
flow, the sample site on loopback, a feed whose parsing takes seconds of CPU, the feeds task's
timeout shortened.

Before, any positive budget was accepted: a feed (or a page) whose parsing ran long was let run
past the feeds task's timeout, and the task's whole batch was recorded failed ("internal error:
TaskRunTimeoutError"), its other feeds read fine with it, so `newsmon health` blamed them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.devsite import SiteServer
from newsmon.poll import Severity
from newsmon.yamlfile import ConfigError
from tests.support.configs import write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")
TASK_SECONDS = 8.0  # the feeds task's timeout here (600 s by default)


def _slow_feed(base: str) -> dict[str, str]:
    """~16 µs of feedparser's own handling per unknown element in the channel: many seconds,
    more than the task has."""
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>'
        + "<x>y</x>" * 1_000_000
        + f"<item><title>Slow to parse</title><link>{base}/en/slow.html</link>"
        "<description>A story.</description></item></channel></rss>"
    )
    return {"body": body, "content_type": "application/rss+xml"}


@pytest.mark.parametrize("value", [1e10, 3600.0, 2.0])
def test_a_parse_budget_far_out_of_range_is_refused_at_load_or_fails_its_feed_alone(
    tmp_path: Path, site: SiteServer, monkeypatch: pytest.MonkeyPatch, value: float
) -> None:
    import flows.monitor as monitor_flows

    site.routes["/feeds/slow.xml"] = _slow_feed(site.base)
    path = write_config(
        tmp_path,
        feeds=[("ai-daily-ko", "/feeds/ko-ai.xml", "ko"), ("slow", "/feeds/slow.xml")],
        base=site.base,
        default_channel="#ai-news",
        fetch={"feed_parse_timeout_seconds": value, "max_feed_bytes": 20 * 1024 * 1024},
    )
    try:
        load_config(path)
    except ConfigError as refused:
        line = str(refused)
        key = "fetch.feed_parse_timeout_seconds"
        assert "\n" not in line and f"{key}: {value:g} is out of range" in line, line
        assert value > 60, line
        return
    task = monitor_flows.process_feeds_task.with_options(timeout_seconds=TASK_SECONDS, retries=0)
    monkeypatch.setattr(monitor_flows, "process_feeds_task", task)
    totals = asyncio.run(monitor_flows.monitor(config_path=str(path)))
    assert (totals.feeds_ok, totals.feeds_failed) == (1, 1), totals
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        health = {h.name: h for h in store.feed_health()}
    finally:
        store.close()
    assert health["ai-daily-ko"].last_error is None, health["ai-daily-ko"].last_error
    slow = health["slow"]  # over its own budget: hard, not a crashed batch
    assert slow.failure_kind == Severity.HARD, slow
    assert slow.last_error == f"feed parsing exceeded {value:g} s", slow
