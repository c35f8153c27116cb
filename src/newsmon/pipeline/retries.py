"""Pages that could not be downloaded when their entry was stored, tried again on later passes.

An entry whose page fails softly (a timeout, a 5xx or 429, a dropped connection), or whose
page's work a worker stopped through no fault of the page's (newsmon.pipeline.page_tries), is
stored from its teaser at once, so nothing waits on a slow site, with a time to try the page
again. When the page is read at last, its article replaces the teaser and is classified and
deduplicated again; what the teaser hid (a topic, a channel) is announced then, and nothing
already announced is announced twice. After `fetch.page_retries` more failures the teaser
stays the body.

A page its feed's page budget leaves unrequested (deferred, newsmon.turns) has no try counted;
one still deferred `DEFERRED_AT_MOST` after it fell due is given up all the same, so a feed whose
budget never reaches its pages does not keep them due for ever.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from newsmon.config import FeedConfig
from newsmon.corpus.records import ARTICLE_SOURCES, UNDATED, AlertStatus, DatedBy, PageRetry
from newsmon.feeds import FeedEntry
from newsmon.fetch import Fetcher, FetchResult
from newsmon.hosts import host_key
from newsmon.pipeline.alert_plans import AGE_UNKNOWN_HOLD, alert_plan, held_unknown
from newsmon.pipeline.context import Context
from newsmon.pipeline.entries import analyse_page, entry_failed, fetch_page, to_stored
from newsmon.pipeline.new_articles import new_article
from newsmon.pipeline.outcomes import FeedOutcome
from newsmon.pipeline.page_tries import next_try, soft_wait, still_down, stopped_retry_at
from newsmon.read_now import teaser_read_now
from newsmon.turns import NoTimeForWork, OutOfTime

log = logging.getLogger(__name__)

# A page due this long and deferred still (its feed's page budget spent before its turn, pass
# after pass) is given up: read later, its story's neighbours may have left the index.
DEFERRED_AT_MOST = timedelta(days=1)


async def retry_pages(
    ctx: Context,
    fetcher: Fetcher,
    feed_id: int,
    feed: FeedConfig,
    outcome: FeedOutcome,
    now: datetime,
    *,
    deadline: float | None = None,
) -> None:
    """Download again this feed's pages that are due; at most one feed's worth of entries a
    pass. Each site is probed with its longest-waiting page first: while that still fails
    softly, the site's other pages wait for the probe's next try without being requested, so a
    site that is down costs a pass one request, not one timeout per page. A page whose turn
    has not come by `deadline` (newsmon.turns) stays due, untried, for the next pass (with the
    rest of its site's, when it is the probe), no try counted, unless it has been due for
    `DEFERRED_AT_MOST`: then it is given up. An unexpected error is the article's alone, like
    an entry's."""
    limit = ctx.config.fetch.max_entries_per_feed
    due = await asyncio.to_thread(ctx.store.pages_to_retry, feed_id, now, limit)
    by_site: dict[str, list[PageRetry]] = {}
    for retry in due:
        key = host_key(urlsplit(retry.url).hostname or "")  # `ＹＮＡ.co.kr` is `yna.co.kr`
        by_site.setdefault(key, []).append(retry)

    budget = ctx.config.fetch.feed_pages_budget_seconds

    async def one(retry: PageRetry) -> FetchResult | None:
        """The page's answer, without its body; None when its turn did not come."""
        try:
            return await in_turn(retry)
        except OutOfTime:
            await deferred([retry])
            return None

    async def deferred(retries: list[PageRetry]) -> None:
        """Pages not requested this pass: due still, or given up when due for too long."""
        outcome.pages_deferred += len(retries)
        late = [r for r in retries if now - r.due_at > DEFERRED_AT_MOST]
        if not late:
            return
        hours = DEFERRED_AT_MOST.total_seconds() / 3600
        why = (
            f"page given up: due for over {hours:g} h and not requested (its feed's {budget:g} s "
            "for pages ran out before its turn, pass after pass); the teaser stays its text"
        )
        for retry in late:
            log.info("%s: %s", retry.url, why)
        await asyncio.to_thread(ctx.store.give_up_pages, [r.id for r in late], why, now)

    async def in_turn(retry: PageRetry) -> FetchResult:
        async with fetcher.turns.turn(retry.url, deadline, budget):  # body held until stored
            page = await fetch_page(ctx, fetcher, retry.url)
            outcome.bytes_received += len(page.content)
            outcome.pages_retried += 1
            try:
                await _settle(ctx, fetcher, feed_id, feed, retry, page, outcome, now)
            except NoTimeForWork:  # read, but no worker took it in time: due still, untried
                await deferred([retry])
            except Exception as exc:
                await entry_failed(ctx, feed_id, outcome, retry.url, exc)
            return replace(page, content=b"")  # the answer, not the body: the site's pages wait

    async def site(retries: list[PageRetry]) -> None:
        probe, rest = retries[0], retries[1:]
        page = await one(probe)
        if page is None:  # the feed's time is spent: the site's other pages wait with it
            await deferred(rest)
            return
        if rest and still_down(page):
            at = soft_wait(ctx.config, page, probe.attempts + 1, now)
            ids = [r.id for r in rest]
            await asyncio.to_thread(ctx.store.postpone_page_retries, ids, at)
            outcome.pages_postponed += len(ids)
            return
        await asyncio.gather(*(one(r) for r in rest))

    await asyncio.gather(*(site(retries) for retries in by_site.values()))


async def _settle(
    ctx: Context,
    fetcher: Fetcher,
    feed_id: int,
    feed: FeedConfig,
    retry: PageRetry,
    page: FetchResult,
    outcome: FeedOutcome,
    now: datetime,
) -> None:
    attempts = retry.attempts + 1
    if not page.ok:
        await _download_failed(ctx, retry, page, attempts, now, "page")
        return
    # the feed's entry as it was stored: its headline, and its teaser to fall back on, as a
    # pass reads it now (a row stored before holds its credits); the row's own text is what
    # `recover_page` checks. Of unknown age when stored on the feed's first read, undated: so
    # it is unless dated now
    unknown = retry.dated_by is DatedBy.UNKNOWN
    teaser = teaser_read_now(retry.text)
    entry = FeedEntry(None, retry.url, retry.title or "", teaser, None, None, age_unknown=unknown)
    language = retry.language or feed.language
    analysis = await analyse_page(ctx, page, entry, language, fetcher, outcome, zone=feed.date_zone)
    if analysis.frame_down is not None:  # its frame's download failed softly: as its own
        await _download_failed(ctx, retry, analysis.frame_down, attempts, now, "frame")
        return
    if analysis.stopped is not None:  # read, its work stopped: again only if not its fault
        at = stopped_retry_at(ctx.config, analysis.stopped, attempts, now)
        why = f"page's work stopped ({attempts} tries): {analysis.extracted.note}"
        then = "read again on a later pass" if at else "the teaser stays its text"
        outcome.pages_stopped += at is not None
        log.info("%s: %s; %s", retry.url, why, then)
        await asyncio.to_thread(ctx.store.page_retry_failed, retry.id, attempts, at, why)
        return
    if analysis.extracted.source not in ARTICLE_SOURCES:
        why = f"page read on try {attempts}, without article text; the teaser stays its text"
        await asyncio.to_thread(ctx.store.page_retry_failed, retry.id, attempts, None, why)
        return
    changed = new_article(feed_id, feed, entry, retry.canonical_url, page, analysis, now)
    matches = analysis.matches
    # the story's age is judged when it was first seen, as it would have been then: by the
    # date its page states, when only "first seen" dated it (the feed wrote none)
    dated = retry.dated_by in UNDATED and changed.dated_by is DatedBy.PAGE
    published = changed.published_at if dated else retry.published_at
    channels, status, note = alert_plan(ctx, matches, published, retry.first_seen_at)
    if held_unknown(ctx, entry, status, analysis.extracted.published, now):
        status, note = AlertStatus.SKIPPED, AGE_UNKNOWN_HOLD
    recovered = await asyncio.to_thread(
        ctx.store.recover_page,
        retry.id,
        retry.text,
        changed,
        to_stored(matches),
        ctx.rules.version,
        channels,
        status,
        note,
    )
    if recovered.replaced:
        outcome.pages_recovered += 1
        outcome.alerts_queued += recovered.alerts_queued
        log.info(
            "%s: page read on try %d; %s",
            retry.url,
            attempts,
            ", ".join(m.topic for m in matches) or "no topic",
        )


async def _download_failed(
    ctx: Context, retry: PageRetry, page: FetchResult, attempts: int, now: datetime, what: str
) -> None:
    """A page's try whose download (or its frame's: `what`) failed: again after the backoff
    while it fails softly and has tries left, else given up with the teaser as its text."""
    at = next_try(ctx.config, page, attempts, now)
    why = f"{what} fetch failed ({attempts} tries): {page.error}"
    if at is None:
        log.info("%s: %s; the teaser stays its text", retry.url, why)
    await asyncio.to_thread(ctx.store.page_retry_failed, retry.id, attempts, at, why)
