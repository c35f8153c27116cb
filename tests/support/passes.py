"""One pass's feeds, as the monitor flow's batches run them, without Prefect: a fresh context
over `config`, every feed read (`force`), the context closed after. For integration tests that
run several passes against one corpus and look at what each left."""

from __future__ import annotations

import asyncio

from newsmon.config import Config
from newsmon.pipeline import Context, process_feeds
from newsmon.pipeline.outcomes import FeedOutcome


def feed_pass(config: Config) -> dict[str, FeedOutcome]:
    """Every feed of `config` read once: their outcomes by feed name."""
    ctx = Context.open(config)

    async def go() -> list[FeedOutcome]:
        async with ctx.fetching() as fetcher:
            return await process_feeds(ctx, fetcher, config.feeds, force=True)

    try:
        return {o.feed: o for o in asyncio.run(go())}
    finally:
        ctx.close()
