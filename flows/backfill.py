"""The `backfill` flow: re-apply the current topic rules to stored articles, quietly by default."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.common import BACKFILL_TASK_TIMEOUT, BACKFILL_TIMEOUT, open_context, record_crash
from newsmon.clock import utcnow
from newsmon.corpus.records import ArticleText, RunStatus
from newsmon.pipeline import (
    Context,
    DeliveryOutcome,
    MatchDiff,
    ReclassifyOutcome,
    deliver,
    preview_reclassify,
    reclassify_batch,
)
from newsmon.report import BackfillResult
from newsmon.slack import CredentialError

BATCH = 500


@task(
    name="reclassify-batch",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=5,
    timeout_seconds=BACKFILL_TASK_TIMEOUT,
)
def reclassify_task(ctx: Context, rows: list[ArticleText], alerts: bool) -> ReclassifyOutcome:
    return reclassify_batch(ctx, rows, queue_alerts=alerts)


@task(name="preview-batch", cache_policy=NO_CACHE, timeout_seconds=BACKFILL_TASK_TIMEOUT)
def preview_task(ctx: Context, rows: list[ArticleText]) -> list[MatchDiff]:
    return preview_reclassify(ctx, rows)[1]


@task(name="deliver-alerts", cache_policy=NO_CACHE, timeout_seconds=BACKFILL_TASK_TIMEOUT)
def deliver_task(ctx: Context, limit: int, require_slack: bool = False) -> DeliveryOutcome:
    return deliver(ctx, limit, required=require_slack)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@flow(name="backfill", log_prints=True, timeout_seconds=BACKFILL_TIMEOUT)
def backfill(
    since: date,
    until: date | None = None,
    alerts: bool = False,
    config_path: str | None = None,
    dry_run: bool = False,
    require_slack: bool = False,
) -> BackfillResult:
    """Re-classify articles first seen from `since` through `until` (inclusive, UTC days).

    Without `alerts` nothing reaches Slack; with it, only alerts never sent before are sent.
    With `dry_run` nothing is written or sent: the result lists, per article, the matches the
    current rules would add (`new`) and the stored ones they would drop (`lost`). Slack
    refusing the credentials (or none with `require_slack`) fails the run once it is recorded.
    """
    logger = get_run_logger()
    started = utcnow()
    ctx = open_context(config_path)
    run_id: int | None = None
    try:
        end = day_start(until) + timedelta(days=1) if until else None
        rows = ctx.store.articles_for_reclassify(day_start(since), end)
        parts = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]
        if dry_run:
            diffs = tuple(d for part in parts for d in preview_task(ctx, part))
            outcome = ReclassifyOutcome.of_preview(len(rows), diffs)
            result = BackfillResult(since, until, ctx.rules.version, outcome, diffs=diffs)
            logger.info("backfill: %s", result.line())
            return result
        run_id = ctx.store.runs.start_run("backfill", started)
        outcome = ReclassifyOutcome.total(reclassify_task(ctx, part, alerts) for part in parts)
        # At most max_per_pass now; the rest stay queued for the next passes: no flood.
        delivery = (
            deliver_task(ctx, ctx.config.slack.max_per_pass, require_slack) if alerts else None
        )
        result = BackfillResult(since, until, ctx.rules.version, outcome, delivery)
        refused = delivery.credential_error if delivery else None
        status = RunStatus.FAILED if refused else RunStatus.COMPLETED
        ctx.store.runs.finish_run(run_id, status, result.as_dict(), refused)
        logger.info("backfill: %s", result.line())
        create_markdown_artifact(
            key="backfill-summary",
            markdown=f"**backfill** {since}…{until or 'now'}: {result.line()}",
        )
        if refused:
            run_id = None  # recorded as failed above, not as a crash
            raise CredentialError(refused)
        return result
    except BaseException as exc:
        if run_id is not None:  # a dry run writes nothing, not even its run
            record_crash(ctx, run_id, exc)
        raise
    finally:
        ctx.close()
