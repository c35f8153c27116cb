"""The `monitor` flow: one monitoring pass over every configured feed, then alert delivery."""

from __future__ import annotations

import asyncio

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.common import open_context
from newsmon import alerts as alerting
from newsmon.clock import utcnow
from newsmon.config import FeedConfig
from newsmon.corpus.records import AlertStatus
from newsmon.fetch import Fetcher
from newsmon.pipeline import (
    Context,
    DeliveryOutcome,
    FeedOutcome,
    deliver_in_turn,
    process_feeds,
    settle_batches,
)
from newsmon.report import PassTotals, describe_failure, feed_table

# A task costs milliseconds of orchestration; feeds go to tasks in batches, and inside a batch
# (and across batches) they are fetched concurrently under the fetcher's global and per-host
# limits.
FEEDS_PER_TASK = 10


@task(
    name="process-feeds",
    task_run_name="feeds-{first}",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=5,
)
async def process_feeds_task(
    ctx: Context, fetcher: Fetcher, feeds: list[FeedConfig], first: str, force: bool
) -> list[FeedOutcome]:
    """Safe to retry: whatever the first try stored is recognised as already seen."""
    return await process_feeds(ctx, fetcher, feeds, force=force)


@task(name="deliver-alerts", cache_policy=NO_CACHE)
async def deliver_task(ctx: Context) -> DeliveryOutcome:
    sender = alerting.make_sender(ctx.secrets, ctx.config.slack)
    return await asyncio.to_thread(deliver_in_turn, ctx, sender)


@flow(name="monitor", log_prints=True)
async def monitor(config_path: str | None = None, force: bool = False) -> PassTotals:
    """Fetch feeds, store new articles with their topics, and deliver queued alerts.

    `force` polls every feed now, even those whose publisher asked for a longer interval or
    that are backing off after failures.
    """
    logger = get_run_logger()
    started = utcnow()
    ctx = open_context(config_path)
    try:
        feeds = [f for f in ctx.config.feeds if f.enabled]
        batches = [feeds[i : i + FEEDS_PER_TASK] for i in range(0, len(feeds), FEEDS_PER_TASK)]
        async with ctx.fetching() as fetcher:
            results = await asyncio.gather(
                *(process_feeds_task(ctx, fetcher, b, b[0].name, force) for b in batches),
                return_exceptions=True,
            )
        outcomes = settle_batches(ctx, batches, results)
        for outcome in outcomes:
            if not outcome.ok:
                logger.warning("feed %s failed: %s", outcome.feed, describe_failure(outcome))
            elif outcome.warning:
                logger.info("feed %s: %s", outcome.feed, outcome.warning)
        delivery = await deliver_task(ctx)
        totals = PassTotals.of(outcomes, delivery, ctx.store.count_alerts(AlertStatus.PENDING))
        ctx.store.record_run("monitor", started, totals.as_dict())
        logger.info("monitor pass: %s", totals.line())
        await acreate_table_artifact(
            key="monitor-summary", table=feed_table(outcomes), description=totals.line()
        )
        return totals
    finally:
        ctx.close()
