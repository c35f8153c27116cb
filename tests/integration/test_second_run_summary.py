"""`make run` twice in a row without network: the second pass polls no feed (every one waits
out the backoff of its failure) and its summary said only "0 failed, 22 not due", exit 0: an
operator read that nothing was wrong. It now says how many wait after failing, until when,
and how to try them now."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from newsmon.pipeline import Context, FeedOutcome, process_feeds
from newsmon.pipeline.outcomes import DeliveryOutcome
from newsmon.report import PassTotals
from tests.support.configs import make_config


def _pass(ctx: Context) -> list[FeedOutcome]:
    async def go() -> list[FeedOutcome]:
        async with ctx.fetching() as fetcher:
            return await process_feeds(ctx, fetcher, ctx.config.feeds)

    return asyncio.run(go())


def test_feeds_waiting_out_a_failure_are_told_apart_from_feeds_not_due(tmp_path: Path) -> None:
    with socket.socket() as unused:  # an address nothing listens on: the feed fails at once
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    config = make_config(tmp_path, feeds=[("down", f"http://127.0.0.1:{port}/feed.xml")])
    ctx = Context.open(config)
    try:
        first = _pass(ctx)
        second = _pass(ctx)
    finally:
        ctx.close()
    assert not first[0].ok
    totals = PassTotals.of(second, DeliveryOutcome(sender="console"))
    assert totals.feeds_failed == 0 and totals.feeds_not_due == 1
    line = totals.cli_lines()[0]
    assert "1 not due (1 waiting after failing, next try " in line, line
    assert "--force" in line, line
