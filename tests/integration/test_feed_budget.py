"""A feed that is slow to parse, next to an ordinary feed, through the real pass (loopback site,
fetcher, worker pool, SQLite corpus): its parsing is stopped at `fetch.feed_parse_timeout_seconds`
and it fails alone, with one line and a hard backoff; the ordinary feed's entries are stored.

feedparser needs ~16 µs of CPU per unknown element in a feed's channel: the feed below takes
~3.5 s on 2 cores (a 10 MB one, ~30 s), seven times the test's budget. (An entry's markup, the
old way to be slow, now costs little: tests/integration/test_feed_budget_entries.py.) In a thread
of the pass, as feeds were parsed before, nothing stopped it and it held the interpreter lock.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from newsmon.devsite import SiteServer
from newsmon.pipeline import Context, process_feeds
from tests.support.configs import make_config

BUDGET = 0.5


def _slow_feed(base: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>'
        + "<x>y</x>" * 200_000
        + f"<item><title>Slow to parse</title><link>{base}/en/slow.html</link>"
        "<description>A story.</description></item></channel></rss>"
    )


def _run(ctx: Context) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with ctx.fetching() as fetcher:
            outcomes = await process_feeds(ctx, fetcher, ctx.config.feeds, force=True)
        return {o.feed: o for o in outcomes}

    return asyncio.run(go())


def test_a_feed_over_its_parse_budget_fails_alone(tmp_path: Path, site: SiteServer) -> None:
    slow = {"body": _slow_feed(site.base), "content_type": "application/rss+xml"}
    site.routes["/feeds/slow.xml"] = slow
    config = make_config(
        tmp_path,
        feeds=[("slow", "/feeds/slow.xml"), ("ordinary", "/feeds/en-ai.atom", "en")],
        base=site.base,
        fetch={"feed_parse_timeout_seconds": BUDGET},
    )
    ctx = Context.open(config)
    try:
        started = time.monotonic()
        outcomes = _run(ctx)
        elapsed = time.monotonic() - started
        line = f"feed parsing exceeded {BUDGET:g} s"
        assert not outcomes["slow"].ok and outcomes["slow"].error == line
        assert outcomes["ordinary"].ok and outcomes["ordinary"].entries > 0
        stored = {a.url.removeprefix(site.base) for a in ctx.store.list_articles(limit=100)}
        assert stored and all(url.startswith("/en/") for url in stored), stored
        assert "/en/slow.html" not in stored
        health = {h.name: h for h in ctx.store.feed_health()}
        assert health["slow"].last_error == line and health["slow"].failure_kind == "hard"
        assert health["ordinary"].last_error is None
        assert "/en/slow.html" not in site.paths_requested()
        assert elapsed < 30, elapsed  # workers start, the ordinary feed's pages are read
    finally:
        ctx.close()
