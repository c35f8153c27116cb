"""The `backfill` flow: re-apply the current topic rules to stored articles, quietly by default."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.common import open_context
from newsmon import alerts as alerting
from newsmon.clock import utcnow
from newsmon.corpus.records import ArticleText
from newsmon.pipeline import (
    Context,
    DeliveryOutcome,
    MatchDiff,
    ReclassifyOutcome,
    deliver_pending,
    preview_reclassify,
    reclassify_batch,
)
from newsmon.report import reclassify_line

BATCH = 500


@task(name="reclassify-batch", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def reclassify_task(ctx: Context, rows: list[ArticleText], alerts: bool) -> ReclassifyOutcome:
    return reclassify_batch(ctx, rows, queue_alerts=alerts)


@task(name="preview-batch", cache_policy=NO_CACHE)
def preview_task(ctx: Context, rows: list[ArticleText]) -> list[MatchDiff]:
    return preview_reclassify(ctx, rows)[1]


@task(name="deliver-alerts", cache_policy=NO_CACHE)
def deliver_task(ctx: Context, limit: int) -> DeliveryOutcome:
    return deliver_pending(ctx, alerting.make_sender(ctx.secrets, ctx.config.slack), limit)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@flow(name="backfill", log_prints=True)
def backfill(
    since: date,
    until: date | None = None,
    alerts: bool = False,
    config_path: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Re-classify articles first seen from `since` through `until` (inclusive, UTC days).

    Without `alerts` nothing reaches Slack; with it, only alerts never sent before are sent.
    With `dry_run` nothing is written or sent: the result lists, per article, the matches the
    current rules would add (`new`) and the stored ones they would drop (`lost`).
    """
    logger = get_run_logger()
    started = utcnow()
    ctx = open_context(config_path)
    try:
        end = day_start(until) + timedelta(days=1) if until else None
        rows = ctx.store.articles_for_reclassify(day_start(since), end)
        if dry_run:
            diffs: list[MatchDiff] = []
            for i in range(0, len(rows), BATCH):
                diffs.extend(preview_task(ctx, rows[i : i + BATCH]))
            new = Counter(m.topic for d in diffs for m in d.new)
            lost = Counter(m.topic for d in diffs for m in d.lost)
            logger.info(
                "backfill dry run: %d articles, %d would change (nothing written)",
                len(rows),
                len(diffs),
            )
            return {
                "since": since.isoformat(),
                "until": until.isoformat() if until else None,
                "rules_version": ctx.rules.version,
                "dry_run": True,
                "articles": len(rows),
                "changed": len(diffs),
                "added": dict(new),
                "removed": dict(lost),
                "alerts_queued": 0,
                "alerts_sent": 0,
                "diff": [d.as_dict() for d in diffs],
            }
        total = ReclassifyOutcome()
        for i in range(0, len(rows), BATCH):
            part = reclassify_task(ctx, rows[i : i + BATCH], alerts)
            total.articles += part.articles
            total.changed += part.changed
            total.added.update(part.added)
            total.removed.update(part.removed)
            total.alerts_queued += part.alerts_queued
        # At most max_per_pass now; the rest stay queued for the next passes: no flood.
        delivery = deliver_task(ctx, ctx.config.slack.max_per_pass) if alerts else None
        line = reclassify_line(total, delivery)
        result: dict[str, Any] = {
            "since": since.isoformat(),
            "until": until.isoformat() if until else None,
            "rules_version": ctx.rules.version,
            "articles": total.articles,
            "changed": total.changed,
            "added": dict(total.added),
            "removed": dict(total.removed),
            "alerts_queued": total.alerts_queued,
            "alerts_sent": delivery.sent if delivery else 0,
        }
        ctx.store.record_run("backfill", started, result)
        logger.info("backfill: %s", line)
        create_markdown_artifact(
            key="backfill-summary", markdown=f"**backfill** {since}…{until or 'now'}: {line}"
        )
        return result
    finally:
        ctx.close()
