"""The `backfill` flows: re-apply the current topic rules to stored articles (`backfill`), or
fetch, store and classify given pages (`backfill-urls`); quiet unless asked to announce."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

import httpx
from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client

from flows.common import (
    BACKFILL_TASK_TIMEOUT,
    BACKFILL_TIMEOUT,
    artifact,
    flow_run_id,
    open_context,
    record_crash,
    record_lost_process,
    stop_on_signals,
    task_budget,
    unwalked,
)
from newsmon import progress
from newsmon.clock import utcnow
from newsmon.config import FeedConfig
from newsmon.corpus.records import ArticleText, RunStatus
from newsmon.fetch import Fetcher
from newsmon.pipeline import (
    Context,
    DeliveryOutcome,
    MatchDiff,
    PageOutcome,
    PageUrl,
    ReclassifyOutcome,
    as_listed,
    backfill_pages,
    deliver,
    each_page_once,
    preview_reclassify,
    reclassify_batch,
)
from newsmon.pipeline.backfill_args import first_seen_range, require_pages, topic_filter
from newsmon.pipeline.listed_pages import ListedPages
from newsmon.report import BackfillResult, diff_markdown
from newsmon.report_pages import PagesResult
from newsmon.slack import CredentialError
from newsmon.urls import shown_url
from newsmon.verdict import PagesFailed, judge_pages

BATCH = 500  # articles read, re-classified and reported at a time
# Given pages fetched and stored at a time, each batch one task within BACKFILL_TASK_TIMEOUT:
# the timeout bounds a batch, as it does 500 articles, not the whole list (a list of thousands,
# a slow archive ran past it, and the run crashed with every page's outcome lost).
PAGES_BATCH = 50


@task(
    name="reclassify-batch",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=5,
    timeout_seconds=BACKFILL_TASK_TIMEOUT,
)
def reclassify_task(
    ctx: Context,
    rows: list[ArticleText],
    alerts: bool,
    topics: list[str] | None = None,
    any_age: bool = False,
) -> ReclassifyOutcome:
    return reclassify_batch(ctx, rows, queue_alerts=alerts, topics=topics, any_age=any_age)


@task(name="preview-batch", cache_policy=NO_CACHE, timeout_seconds=BACKFILL_TASK_TIMEOUT)
def preview_task(
    ctx: Context, rows: list[ArticleText], topics: list[str] | None = None
) -> tuple[int, list[MatchDiff]]:
    return preview_reclassify(ctx, rows, topics)


@task(name="deliver-alerts", cache_policy=NO_CACHE, timeout_seconds=BACKFILL_TASK_TIMEOUT)
def deliver_task(ctx: Context, limit: int, require_slack: bool = False) -> DeliveryOutcome:
    return deliver(ctx, limit, required=require_slack)


@task(name="backfill-pages", cache_policy=NO_CACHE, timeout_seconds=BACKFILL_TASK_TIMEOUT)
async def pages_task(
    ctx: Context,
    fetcher: Fetcher,
    urls: list[str],
    feed: FeedConfig | None,
    announce: bool,
    dry_run: bool,
    done: Callable[[int], None],
    listed: ListedPages | None = None,
) -> list[PageOutcome]:
    """Within the task's timeout, as a feeds task (`flows.common.task_budget`): a page whose
    turn, download or extraction would outlast it fails alone, and the batch is reported."""
    with task_budget(ctx, BACKFILL_TASK_TIMEOUT) as pages_until:
        return await backfill_pages(
            ctx,
            fetcher,
            urls,
            feed=feed,
            announce=announce,
            dry_run=dry_run,
            done=done,
            pages_until=pages_until,
            listed=listed,
        )


def finish_run(
    ctx: Context,
    run_id: int | None,
    summary: dict[str, Any],
    delivery: DeliveryOutcome | None,
    failure: str | None = None,
) -> str | None:
    """Record the run's end: failed when Slack refused the credentials (returned, for the
    flow to raise once its artifact is written) or with `failure` (the run did not do its
    job), else completed. A dry run has no run."""
    refused = delivery.credential_error if delivery else None
    if run_id is not None:
        status = RunStatus.FAILED if refused or failure else RunStatus.COMPLETED
        ctx.store.runs.finish_run(run_id, status, summary, refused or failure)
    return refused


class FlowProgress:
    """Progress in the flow's log and in a Prefect progress artifact (updated at most every
    `step` percent, so a long job does not flood the API)."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter[Any], key: str) -> None:
        self.logger, self.key = logger, key
        self.total: int | None = None
        self.what = "items"
        self.artifact: UUID | None = None
        self.shown = -1.0

    def start(self, total: int | None, what: str) -> None:
        self.total, self.what = total, what
        self.logger.info("%s: %s %s to go", self.key, total if total is not None else "?", what)
        with artifact(self.key):
            created = create_progress_artifact(  # type: ignore[call-arg]
                0.0, key=self.key, description=f"{total} {what}", _sync=True
            )
            self.artifact = created if isinstance(created, UUID) else None

    def update(self, done: int) -> None:
        pct = 100.0 * done / self.total if self.total else 100.0
        if pct - self.shown < 5 and done != self.total:
            return
        self.shown = pct
        self.logger.info("%s: %d/%s %s (%.0f %%)", self.key, done, self.total, self.what, pct)
        self._show(pct)

    def finish(self) -> None:
        if self.shown < 100:
            self._show(100.0)

    def _show(self, pct: float) -> None:
        """Move the progress artifact; one the API refused is not tried again (one warning)."""
        if self.artifact is None:
            return
        shown, self.artifact = self.artifact, None
        with artifact(self.key):
            update_progress_artifact(shown, pct, _sync=True)  # type: ignore[call-arg]
            self.artifact = shown


@flow(
    name="backfill",
    log_prints=True,
    timeout_seconds=BACKFILL_TIMEOUT,
    on_crashed=[record_lost_process],
    on_cancellation=[record_lost_process],
)
def backfill(
    since: datetime | date,
    until: datetime | date | None = None,
    alerts: bool = False,
    config_path: str | None = None,
    dry_run: bool = False,
    require_slack: bool = False,
    feed: str | None = None,
    topics: list[str] | None = None,
    any_age: bool = False,
) -> BackfillResult:
    """Re-classify articles first seen from `since` through `until` (days inclusive: a date
    is a UTC day, a midnight with an offset that day in its zone, another time that instant),
    only those `feed` (a configured feed) carried when given, only the matches of `topics`
    when given; a feed or topic the configuration lacks fails the run before it starts.

    Without `alerts` nothing reaches Slack; with it, only alerts never sent before are sent,
    of stories within `alerts.max_age_hours` unless `any_age` (the others are counted).
    With `dry_run` nothing is written or sent: the result lists, per article, the matches the
    current rules would add (`new`) and the stored ones they would drop (`lost`), and so does
    the `backfill-dry-run` artifact. Articles are read `BATCH` at a time. Slack refusing the
    credentials (or none with `require_slack`) fails the run once it is recorded.
    """
    logger = get_run_logger()
    started = utcnow()
    ctx = open_context(config_path, read_only=dry_run)
    run_id: int | None = None
    try:
        topics = topic_filter(topics)
        unknown = sorted(set(topics or ()) - set(ctx.rules.labels))
        if unknown:
            raise ValueError(f"no such topic in the rules: {', '.join(unknown)}")
        if feed is not None and feed not in {f.name for f in ctx.config.feeds}:
            raise ValueError(f"no feed named {feed!r} in the configuration")
        start, end = first_seen_range(since, until)
        total = ctx.store.count_for_reclassify(start, end, feed=feed)
        watch = progress.Fanout(progress.current(), FlowProgress(logger, "backfill-progress"))
        watch.start(total, "articles")
        if not dry_run:  # a dry run writes nothing, not even its run
            run_id = ctx.store.runs.start_run("backfill", started, flow_run_id=flow_run_id())
        done, outcome, diffs, previewed = 0, ReclassifyOutcome(), list[MatchDiff](), 0
        for part in ctx.store.reclassify_batches(start, end, feed=feed, batch=BATCH):
            if dry_run:
                counted, changes = preview_task(unwalked(ctx), unwalked(part), topics)
                previewed += counted  # as the real run counts: with topics, fewer than read
                diffs.extend(changes)
            else:
                outcome.add(reclassify_task(unwalked(ctx), unwalked(part), alerts, topics, any_age))
            done += len(part)
            watch.update(done)
        watch.finish()
        if dry_run:
            outcome = ReclassifyOutcome.of_preview(previewed, diffs)
            result = BackfillResult(since, until, ctx.rules.version, outcome, diffs=tuple(diffs))
            logger.info("backfill: %s", result.line())
            with artifact("backfill-dry-run"):
                create_markdown_artifact(
                    key="backfill-dry-run",
                    markdown=diff_markdown(
                        diffs, f"**backfill dry run** {since}…{until or 'now'}: {result.line()}"
                    ),
                )
            return result
        # At most max_per_pass now; the rest stay queued for the next passes: no flood.
        delivery = (
            deliver_task(unwalked(ctx), ctx.config.slack.max_per_pass, require_slack)
            if alerts
            else None
        )
        result = BackfillResult(since, until, ctx.rules.version, outcome, delivery)
        refused = finish_run(ctx, run_id, result.as_dict(), delivery)
        run_id = None  # recorded: what follows cannot turn it into a crash
        logger.info("backfill: %s", result.line())
        with artifact("backfill-summary"):
            create_markdown_artifact(
                key="backfill-summary",
                markdown=f"**backfill** {since}…{until or 'now'}: {result.line()}",
            )
        if refused:
            raise CredentialError(refused)
        return result
    except BaseException as exc:
        if run_id is not None:
            record_crash(ctx, run_id, exc)
        raise
    finally:
        ctx.close()


async def hide_given_keys(urls: list[PageUrl]) -> None:
    """Replace the run's stored `urls` with their `shown_url` form when a caller (Python, the
    API, the UI's form) gave plain strings carrying a key: Prefect stored them as given, before
    the flow started and validated them into `PageUrl`s, and shows them in its UI."""
    run = flow_run_id()
    given = [u.get_secret_value() if isinstance(u, PageUrl) else str(u) for u in urls]
    shown = [shown_url(u) for u in given]
    if run is None or shown == given:  # no key to hide: no call to the API
        return
    try:
        async with get_client() as client:
            stored = (await client.read_flow_run(UUID(run))).parameters
            if stored.get("urls") != shown:
                await client.update_flow_run(UUID(run), parameters={**stored, "urls": shown})
    except httpx.HTTPError as exc:  # the pages are still loaded; the operator is told
        get_run_logger().warning(
            "backfill-urls: the run's parameters still hold keys of given pages (%s)",
            type(exc).__name__,
        )


@flow(
    name="backfill-urls",
    log_prints=True,
    timeout_seconds=BACKFILL_TIMEOUT,
    on_crashed=[record_lost_process],
    on_cancellation=[record_lost_process],
)
async def backfill_urls(
    urls: list[PageUrl],
    alerts: bool = False,
    config_path: str | None = None,
    dry_run: bool = False,
    feed: str | None = None,
    require_slack: bool = False,
) -> PagesResult:
    """Fetch, store and classify the pages at `urls` as if a feed had listed them (as `feed`'s
    when given), `PAGES_BATCH` at a time. Without `alerts` their alerts are held back; with it
    they are queued whatever the story's age and sent (at most `slack.max_per_pass` now). A page
    stored already, or listed already under another address, is not fetched again. `dry_run`
    writes and sends nothing; the `backfill-urls` artifact lists the first 500 pages and counts
    the rest, the result every page, either way. When every page it tried failed (a page stored
    already is not tried) nothing was loaded: the run is recorded failed and raises
    `PagesFailed`, a dry run too (`newsmon.verdict.judge_pages`). Prefect keeps the `urls` it
    is given as `PageUrl`s without their keys; plain strings it is given with a key are
    replaced by their `shown_url` form as the flow starts (`hide_given_keys`)."""
    stop_on_signals()
    logger = get_run_logger()
    started = utcnow()
    await hide_given_keys(urls)
    require_pages(urls)
    ctx = open_context(config_path, read_only=dry_run)
    run_id = (
        None
        if dry_run
        else ctx.store.runs.start_run("backfill-urls", started, flow_run_id=flow_run_id())
    )
    try:
        source = next((f for f in ctx.config.feeds if f.name == feed), None)
        if feed is not None and source is None:
            raise ValueError(f"no feed named {feed!r} in the configuration")
        watch = progress.Fanout(progress.current(), FlowProgress(logger, "backfill-urls-progress"))
        given = [u.get_secret_value() if isinstance(u, PageUrl) else str(u) for u in urls]
        unique, where = each_page_once(given)
        watch.start(len(unique), "pages")
        pages: list[PageOutcome] = []
        listed = ListedPages()  # a dry run's pages it would store, for the later batches too
        async with ctx.fetching() as fetcher:
            for first in range(0, len(unique), PAGES_BATCH):
                part = unique[first : first + PAGES_BATCH]

                def done(n: int, first: int = first) -> None:  # the batches before count too
                    watch.update(first + n)

                pages += await pages_task(
                    unwalked(ctx),
                    unwalked(fetcher),
                    part,
                    source,
                    alerts,
                    dry_run,
                    done,
                    unwalked(listed),
                )
        watch.finish()
        delivery = None
        if alerts and not dry_run:
            delivery = deliver(ctx, ctx.config.slack.max_per_pass, required=require_slack)
        result = PagesResult(tuple(as_listed(given, where, pages)), dry_run, delivery)
        verdict = judge_pages(result.pages)
        refused = finish_run(ctx, run_id, result.as_dict(), delivery, verdict.message or None)
        run_id = None  # recorded: what follows cannot turn it into a crash
        logger.info("backfill-urls: %s", result.line())
        with artifact("backfill-urls"):
            create_table_artifact(  # type: ignore[call-arg]
                key="backfill-urls", table=result.table(), description=result.line(), _sync=True
            )
        if refused:
            raise CredentialError(refused)
        if not verdict.ok:
            logger.error("backfill-urls failed: %s", verdict.message)
            raise PagesFailed(verdict, result)
        return result
    except BaseException as exc:
        if run_id is not None:
            record_crash(ctx, run_id, exc)
        raise
    finally:
        ctx.close()
