"""The `monitor` flow: one monitoring pass over every configured feed, then alert delivery.

Every pass is recorded in the runs table when it starts and when it ends, however it ends. A
pass that ran to its end but failed its job (every feed failed, delivery blocked for several
passes: `newsmon.health.judge_pass`) raises `PassFailed` after recording, so the flow run ends
Failed with that one line and Prefect automations can react.
"""

from __future__ import annotations

import asyncio

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.common import (
    DELIVERY_TIMEOUT,
    FEEDS_TASK_TIMEOUT,
    MONITOR_TIMEOUT,
    open_context,
    record_crash,
)
from newsmon import alerts as alerting
from newsmon.clock import utcnow
from newsmon.config import FeedConfig
from newsmon.corpus.records import AlertStatus, RunStatus
from newsmon.fetch import Fetcher
from newsmon.health import BLOCKED_PASSES, PassFailed, judge_pass
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
    timeout_seconds=FEEDS_TASK_TIMEOUT,
)
async def process_feeds_task(
    ctx: Context, fetcher: Fetcher, feeds: list[FeedConfig], first: str, force: bool
) -> list[FeedOutcome]:
    """Safe to retry: whatever the first try stored is recognised as already seen."""
    return await process_feeds(ctx, fetcher, feeds, force=force)


@task(name="deliver-alerts", cache_policy=NO_CACHE, timeout_seconds=DELIVERY_TIMEOUT)
async def deliver_task(ctx: Context) -> DeliveryOutcome:
    sender = alerting.make_sender(ctx.secrets, ctx.config.slack)
    return await asyncio.to_thread(deliver_in_turn, ctx, sender)


@flow(name="monitor", log_prints=True, timeout_seconds=MONITOR_TIMEOUT)
async def monitor(
    config_path: str | None = None, force: bool = False, blocked_passes: int = BLOCKED_PASSES
) -> PassTotals:
    """Fetch feeds, store new articles with their topics, and deliver queued alerts.

    `force` polls every feed now, even those whose publisher asked for a longer interval or
    that are backing off after failures. The run fails when every feed tried failed, or when
    delivery has been blocked for `blocked_passes` passes in a row (0: never for that).
    """
    logger = get_run_logger()
    started = utcnow()
    ctx = open_context(config_path)
    run_id = ctx.store.runs.start_run("monitor", started)
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
        earlier = ctx.store.runs.recent_runs("monitor", limit=blocked_passes, before_id=run_id)
        verdict = judge_pass(totals, earlier, blocked_passes=blocked_passes)
        status = RunStatus.COMPLETED if verdict.ok else RunStatus.FAILED
        ctx.store.runs.finish_run(run_id, status, totals.as_dict(), verdict.message or None)
        logger.info("monitor pass: %s", totals.line())
        await acreate_table_artifact(
            key="monitor-summary", table=feed_table(outcomes), description=totals.line()
        )
    except BaseException as exc:
        record_crash(ctx, run_id, exc)
        ctx.close()
        raise
    ctx.close()
    if not verdict.ok:
        logger.error("monitor pass failed: %s", verdict.message)
        raise PassFailed(verdict, totals)
    return totals
