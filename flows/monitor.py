"""The `monitor` flow: one monitoring pass over every configured feed, then alert delivery.

Every pass is recorded in the runs table when it starts and when it ends, however it ends. A
pass that ran to its end but failed its job (every feed failed, delivery blocked for several
passes: `newsmon.verdict.judge_pass`) raises `PassFailed` after recording, so the flow run ends
Failed with that one line and Prefect automations can react.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.common import (
    DELIVERY_TIMEOUT,
    FEEDS_TASK_TIMEOUT,
    MONITOR_TIMEOUT,
    crash_reason,
    flow_run_id,
    open_context,
    record_crash,
    record_lost_process,
    release_feed_claims,
    settle_lost_runs,
    stop_on_signals,
    task_budget,
    unwalked,
)
from newsmon.clock import utcnow
from newsmon.config import FeedConfig
from newsmon.corpus.records import AlertStatus, RunStatus
from newsmon.fetch import Fetcher
from newsmon.health import HealthReport
from newsmon.pipeline import (
    Context,
    DeliveryOutcome,
    FeedOutcome,
    deliver,
    process_feeds,
    prune_index,
    settle_batches,
    until_stopped,
)
from newsmon.pipeline.checkup import health_report
from newsmon.pipeline.digests import digests_to_finish, finish_digests
from newsmon.pipeline.notices import announce_health
from newsmon.report import PassTotals, describe_failure, feed_table
from newsmon.slack import CredentialError, make_sender
from newsmon.verdict import BLOCKED_PASSES, STREAK_LOOKBACK, PassFailed, judge_pass

# A task costs milliseconds of orchestration; feeds go to tasks in batches, and inside a batch
# (and across batches) they are fetched concurrently under the fetcher's global and per-host
# limits.
FEEDS_PER_TASK = 10
FINISHED = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CRASHED)


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
    """Safe to retry: whatever the first try stored is recognised as already seen. Within the
    task's timeout (`newsmon.turns.task_times`): pages get their turns early enough for a page
    granted its turn last to download, and every download (retries included) ends early enough
    for its parsing, extraction and storing, so a feed that started late in its batch, a
    `fetch.feed_pages_budget_seconds` longer than the task, or a slow host tried
    `fetch.retries` times defers its pages or fails alone instead of timing the batch out;
    CPU work no worker has taken by the task's time for it is not run, and its entries wait
    for the next pass (more pages in hand than workers queued past the task's end)."""
    with task_budget(ctx, FEEDS_TASK_TIMEOUT) as pages_until:
        return await process_feeds(ctx, fetcher, feeds, force=force, pages_until=pages_until)


async def show_health(ctx: Context) -> HealthReport | None:
    """What `newsmon health` would say now, in the run's log (a warning a problem) and in the
    `newsmon-health` artifact, so a feed failing, silent or unread shows in Prefect too; it
    never changes how the pass ends. Returns the report (None when it could not be made)."""
    logger = get_run_logger()
    try:
        report = await asyncio.to_thread(health_report, ctx.store, ctx.config, utcnow())
    except Exception as exc:  # the pass is recorded already: its end must not change now
        logger.warning("health not judged: %s", crash_reason(exc)[:300])
        return None
    for problem in report.problems:
        logger.warning("health: %s: %s", problem.kind.value, problem.message)
    markdown = "\n".join(["```", *report.lines(), "```"])
    kinds = ", ".join(dict.fromkeys(p.kind.value for p in report.problems))
    verdict = f"UNHEALTHY: {kinds}" if kinds else "healthy"
    await acreate_markdown_artifact(key="newsmon-health", markdown=markdown, description=verdict)
    return report


async def announce_problems(
    ctx: Context, report: HealthReport | None, *, resolve: bool = True
) -> None:
    """With `slack.ops_channel`, tell the operations channel which problems appeared or are
    gone (`newsmon.pipeline.notices`; `resolve=False`: appeared only). After the pass is
    recorded, like the health check: a failure is one warning line, never changes how the
    pass ends, and is retried next pass. A pass that crashed tells it too: no later pass could
    (the next one to complete is the newest finished)."""
    if report is None or ctx.config.slack.ops_channel is None:
        return
    logger = get_run_logger()
    try:
        outcome = await asyncio.to_thread(announce_health, ctx, report, resolve=resolve)
    except Exception as exc:
        logger.warning("health notices not posted: %s", crash_reason(exc)[:300])
        return
    if outcome.error or outcome.off:
        logger.warning("%s", outcome.line())
    elif outcome.changed or outcome.waits_until is not None:
        logger.info("%s", outcome.line())


async def announce_earlier_crash(ctx: Context, run_id: int) -> None:
    """A pass that timed out, was cancelled or killed is recorded crashed but cannot tell the
    operations channel (nothing more can be awaited in it), and the next pass told only at its
    end: when every pass timed out, none did, for ever. So, before its feeds, a pass whose
    newest finished predecessor crashed announces the problems that appeared (never resolves:
    that stays the passes' own check). A healthy pass pays one read of the runs table; a
    failure here is one warning line and the pass goes on."""
    if ctx.config.slack.ops_channel is None:
        return
    try:
        before = await asyncio.to_thread(
            ctx.store.runs.recent_runs, "monitor", limit=1, statuses=FINISHED, before_id=run_id
        )
        if not before or before[0].status is not RunStatus.CRASHED:
            return
        report = await asyncio.to_thread(health_report, ctx.store, ctx.config, utcnow())
    except Exception as exc:
        get_run_logger().warning("earlier crash not judged: %s", crash_reason(exc)[:300])
        return
    await announce_problems(ctx, report, resolve=False)


async def write_summary(outcomes: list[FeedOutcome], totals: PassTotals) -> None:
    """The `monitor-summary` table in Prefect; a Prefect API that refuses it (an outage, a
    restart) costs the table, not the recorded pass nor the checks after it."""
    try:
        await acreate_table_artifact(
            key="monitor-summary", table=feed_table(outcomes), description=totals.line()
        )
    except Exception as exc:
        get_run_logger().warning("monitor-summary artifact not written: %s", crash_reason(exc))


async def prune_old_index(ctx: Context) -> None:
    """Old stories leave the near-duplicate index, a bounded share a pass
    (`newsmon.pipeline.retention`). After the pass is recorded, like the health check: a
    failure here is a warning and never changes how the pass ends."""
    logger = get_run_logger()
    try:
        pruned = await asyncio.to_thread(
            prune_index,
            ctx.store,
            ctx.config.index_days(),
            utcnow(),
            ctx.config.dedup.prune_per_pass,
        )
    except Exception as exc:
        logger.warning("near-duplicate index not pruned: %s", crash_reason(exc)[:300])
        return
    if pruned.dropped:
        more = "; more next pass" if pruned.more else ""
        logger.info(
            "near-duplicate index: %d articles first seen before %s left it%s",
            pruned.dropped,
            pruned.before.strftime("%Y-%m-%d") if pruned.before else "-",
            more,
        )


@task(name="deliver-alerts", cache_policy=NO_CACHE, timeout_seconds=DELIVERY_TIMEOUT)
async def deliver_task(ctx: Context, require_slack: bool = False) -> DeliveryOutcome:
    return await until_stopped(ctx, lambda: deliver(ctx, required=require_slack))


@task(name="finish-digests", cache_policy=NO_CACHE, timeout_seconds=DELIVERY_TIMEOUT)
async def finish_digests_task(ctx: Context, waits: dict[str, datetime] | None = None) -> None:
    """Finish digests their runs left (README "Slack delivery", Digests): logged, never a
    reason for the pass to fail (`newsmon health` reports a digest still unfinished)."""
    logger = get_run_logger()
    try:  # never through the console: a digest printed there would be recorded as posted
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
    except CredentialError:
        return
    # the Retry-After the pass's alert delivery got: no digest part posted into it
    result = await asyncio.to_thread(lambda: finish_digests(ctx, sender, waits=waits))
    for key, line in result.channels.items():
        logger.info("digest %s: %s", key, line)


@flow(
    name="monitor",
    log_prints=True,
    timeout_seconds=MONITOR_TIMEOUT,
    on_crashed=[record_lost_process],
    on_cancellation=[record_lost_process],
)
async def monitor(
    config_path: str | None = None,
    force: bool = False,
    blocked_passes: int = BLOCKED_PASSES,
    require_slack: bool = False,
) -> PassTotals:
    """Fetch feeds, store new articles with their topics, and deliver queued alerts.

    `force` polls every feed now, even those whose publisher asked for a longer interval or
    that are backing off after failures. The run fails when every feed tried failed, or when
    delivery has been blocked for `blocked_passes` passes in a row (0: never for that).
    Slack refusing the credentials fails it at once (`CredentialError`), as does a missing
    credential with `require_slack` (or `slack.required`): the pass is recorded first — what it
    read is stored — and no alert is marked.
    """
    stop_on_signals()
    logger = get_run_logger()
    started = utcnow()
    ctx = open_context(config_path)
    # a pass still "running" after twice the flow's timeout was killed without a trace
    abandon = timedelta(seconds=2 * MONITOR_TIMEOUT)
    run_id = ctx.store.runs.start_run(
        "monitor", started, abandon_after=abandon, flow_run_id=flow_run_id()
    )
    recorded = False
    try:
        for lost in await settle_lost_runs(ctx.store, flow_run_id()):
            logger.warning("run #%s recorded as crashed: Prefect ended it, no process did", lost)
        await announce_earlier_crash(ctx, run_id)
        feeds = [f for f in ctx.config.feeds if f.enabled]
        batches = [feeds[i : i + FEEDS_PER_TASK] for i in range(0, len(feeds), FEEDS_PER_TASK)]
        async with ctx.fetching() as fetcher:
            results = await asyncio.gather(
                *(
                    process_feeds_task(unwalked(ctx), unwalked(fetcher), b, b[0].name, force)
                    for b in batches
                ),
                return_exceptions=True,
            )
        outcomes = settle_batches(ctx, batches, results)
        release_feed_claims(ctx)  # a batch that timed out held its feeds' claims still
        for outcome in outcomes:
            if not outcome.ok:
                logger.warning("feed %s failed: %s", outcome.feed, describe_failure(outcome))
            elif outcome.warning:
                logger.info("feed %s: %s", outcome.feed, outcome.warning)
        delivery = await deliver_task(unwalked(ctx), require_slack)
        if not delivery.credential_error and digests_to_finish(ctx):
            try:
                await finish_digests_task(unwalked(ctx), delivery.waits)
            except Exception as exc:  # a timeout, the database: not the pass's own job
                logger.warning("unfinished digests not finished: %s", crash_reason(exc))
        totals = PassTotals.of(outcomes, delivery, ctx.store.count_alerts(AlertStatus.PENDING))
        lookback = max(blocked_passes, STREAK_LOOKBACK)
        earlier = ctx.store.runs.recent_runs("monitor", limit=lookback, before_id=run_id)
        verdict = judge_pass(totals, earlier, blocked_passes=blocked_passes)
        refused = delivery.credential_error
        status = RunStatus.COMPLETED if verdict.ok and not refused else RunStatus.FAILED
        message = refused or verdict.message or None
        ctx.store.runs.finish_run(run_id, status, totals.as_dict(), message)
        recorded = True  # what follows cannot turn the recorded pass into a crash
        logger.info("monitor pass: %s", totals.line())
        await write_summary(outcomes, totals)
        await prune_old_index(ctx)
        report = await show_health(ctx)  # after pruning: the backlog it shows is what is left
        if not refused:  # Slack refused the credentials: the pass fails for it already
            await announce_problems(ctx, report)
    except BaseException as exc:
        if not recorded:
            record_crash(ctx, run_id, exc)
            release_feed_claims(ctx)
            if isinstance(exc, Exception):  # not a timeout or a cancellation: it can still tell
                await announce_problems(ctx, await show_health(ctx))
        ctx.close()
        raise
    ctx.close()
    if refused:
        logger.error("monitor pass failed: Slack delivery stopped: %s", refused)
        raise CredentialError(refused)
    if not verdict.ok:
        logger.error("monitor pass failed: %s", verdict.message)
        raise PassFailed(verdict, totals)
    return totals
