"""The `monitor` flow: one monitoring pass over every configured feed, then alert delivery."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.common import open_context
from newsmon import alerts as alerting
from newsmon.config import FeedConfig
from newsmon.pipeline import Context, DeliveryOutcome, FeedOutcome, deliver_pending, process_feed
from newsmon.report import PassSummary
from newsmon.store import ALERT_PENDING, utcnow

# Feeds in flight at once; SQLite serialises the writes, HTTP waits overlap.
FEED_CONCURRENCY = 4


@task(
    name="process-feed",
    task_run_name="feed-{feed.name}",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=5,
)
def process_feed_task(ctx: Context, feed: FeedConfig) -> FeedOutcome:
    """Safe to retry: anything stored on the first try is recognised as already seen."""
    return process_feed(ctx, feed)


@task(name="deliver-alerts", cache_policy=NO_CACHE)
def deliver_task(ctx: Context) -> DeliveryOutcome:
    sender = alerting.make_sender(ctx.secrets, ctx.config.slack)
    return deliver_pending(ctx, sender)


@flow(
    name="monitor",
    task_runner=ThreadPoolTaskRunner(max_workers=FEED_CONCURRENCY),  # type: ignore[arg-type]
    log_prints=True,
)
def monitor(config_path: str | None = None) -> dict[str, Any]:
    """Fetch feeds, store new articles with their topics, and deliver queued alerts."""
    logger = get_run_logger()
    started = utcnow()
    ctx = open_context(config_path)
    try:
        feeds = [f for f in ctx.config.feeds if f.enabled]
        futures = [process_feed_task.submit(ctx, feed) for feed in feeds]
        outcomes: list[FeedOutcome] = []
        for feed, future in zip(feeds, futures, strict=True):
            result = future.result(raise_on_failure=False)
            if isinstance(result, FeedOutcome):
                outcomes.append(result)
            else:  # the task itself crashed twice: record the feed as failed, go on
                error = f"internal error: {type(result).__name__}: {result}"
                ctx.store.record_feed_failure(
                    ctx.store.sync_feed(feed.name, feed.url, feed.language), error
                )
                outcomes.append(FeedOutcome(feed.name, ok=False, error=error))
        for outcome in outcomes:
            if not outcome.ok:
                logger.warning("feed %s failed: %s", outcome.feed, outcome.error)
            elif outcome.warning:
                logger.info("feed %s: %s", outcome.feed, outcome.warning)
        delivery = deliver_task(ctx)
        summary = PassSummary(outcomes, delivery, ctx.store.count_alerts(ALERT_PENDING))
        totals = summary.totals()
        ctx.store.record_run("monitor", started, totals)
        logger.info("monitor pass: %s", summary.line())
        create_table_artifact(
            key="monitor-summary", table=summary.table(), description=summary.line()
        )
        return totals
    finally:
        ctx.close()
