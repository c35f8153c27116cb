"""One feed entry through the pass: fetch its page, extract, classify, store, queue alerts;
and entries already stored: other links to them, and edits by their own feed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from newsmon.config import FeedConfig
from newsmon.corpus.records import (
    ARTICLE_SOURCES,
    TEASER_SOURCES,
    AlertStatus,
    DuplicateReason,
    DuplicateURLError,
    KnownArticle,
    NewSighting,
    StoredMatch,
)
from newsmon.corpus.schema import MAX_LONG_URL
from newsmon.feeds import FeedEntry
from newsmon.fetch import FailureKind, Fetcher, FetchResult
from newsmon.pipeline.alert_plans import (
    AGE_UNKNOWN_HOLD,
    BACKFILL_HOLD,
    alert_plan,
    held_unknown,
)
from newsmon.pipeline.context import Context
from newsmon.pipeline.new_articles import new_article
from newsmon.pipeline.outcomes import EntryFate, EntryResult, FeedOutcome, error_line
from newsmon.pipeline.page_tries import RETRIED_STOPS, next_try, still_down, stopped_retry_at
from newsmon.rules import TopicMatch
from newsmon.turns import NoTimeForWork, OutOfTime
from newsmon.urls import anchor, carries_hidden_credentials, clean_url, item_of
from newsmon.workers import PageAnalysis, PageFailed, PageJob, summary_only

log = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
# a teaser, not a body: never replaces a body stored earlier
FALLBACK_SOURCES = TEASER_SOURCES


def to_stored(matches: Iterable[TopicMatch]) -> list[StoredMatch]:
    return [
        StoredMatch(m.topic, m.score, [h.as_dict() for h in m.hits], m.snippet) for m in matches
    ]


def page_job(
    ctx: Context,
    page: FetchResult,
    entry: FeedEntry,
    language: str | None,
    zone: str | None = None,
    guess_zone: bool = False,
) -> PageJob:
    """What a worker needs to turn an entry's fetched page (or its absence) into text."""
    job = PageJob(
        url=page.final_url,
        content=None,
        feed_title=entry.title,
        feed_summary=entry.summary,
        language=language,
        max_text_chars=ctx.config.extract.max_text_chars,
        zone=zone,
        guess_zone=guess_zone,
    )
    if not page.ok:
        plain = page.refused or page.failure is FailureKind.DEFERRED  # nothing was requested
        why = page.error if plain else f"page fetch failed: {page.error}"
        return job.without_page(why or "page fetch failed")
    if page.content_type not in HTML_TYPES:
        return job.without_page(f"not an HTML page ({page.content_type})")
    note = f"page cut at {ctx.config.fetch.max_page_bytes} bytes" if page.truncated else None
    return replace(job, content=page.content, charset=page.charset, note=note)


# joined a story by a similar text, not an identical one
_SIMILAR = (
    DuplicateReason.NEAR,
    DuplicateReason.SHORT,
    DuplicateReason.LEAD,
    DuplicateReason.HEADLINE,
)


async def analyse_page(
    ctx: Context,
    page: FetchResult,
    entry: FeedEntry,
    language: str | None,
    fetcher: Fetcher | None = None,
    outcome: FeedOutcome | None = None,
    *,
    zone: str | None = None,
    guess_zone: bool = False,
) -> PageAnalysis:
    """Text, topics and hashes for an entry, computed in a worker within the page's budget;
    `zone` is the feed's `timezone`, for page dates written without one (`guess_zone`: no
    feed speaks for the page, which tells its own, `extract_article`).

    A page over its budget (or whose worker failed) is stored from the feed's summary with
    the reason; should even that fail, the summary is kept without topics. A page without
    article text that frames a page of its own site is read through that frame, once, when a
    `fetcher` is given: the frame's article replaces the teaser, anything less does not (its
    bytes count in `outcome`'s). A frame whose worker stalled or died stops the entry as its
    own page would (`RETRIED_STOPS`), and a frame whose download failed softly fails it as its
    own would (`frame_down`): the entry is read again, frame and all, on a later pass.
    """
    analysis = await _analyse(ctx, page_job(ctx, page, entry, language, zone, guess_zone))
    frame = analysis.extracted.frame
    if fetcher is None or frame is None:
        return analysis
    framed = await fetch_page(ctx, fetcher, frame)
    if outcome is not None:
        outcome.bytes_received += len(framed.content)
    if not framed.ok:
        log.info("%s: frame %s not read: %s", page.final_url, frame, framed.error)
        if not still_down(framed):  # gone for good, or refused: the page's analysis stands
            return analysis
        # down for now (a 503, a timeout, a reset): the page is tried again as its own would be
        said = (analysis.extracted.note, f"frame {frame[:200]} not read: {framed.error}")
        why = "; ".join(n for n in said if n)
        down = replace(framed, content=b"")
        return replace(analysis, extracted=replace(analysis.extracted, note=why), frame_down=down)
    try:
        inner = await _analyse(ctx, page_job(ctx, framed, entry, language, zone, guess_zone))
    except NoTimeForWork:  # as a frame not read: the page's own analysis stands
        return analysis
    if inner.stopped in RETRIED_STOPS:  # the frame's worker stalled or died: read it again
        said = (analysis.extracted.note, f"frame {frame[:200]} not read: {inner.extracted.note}")
        why = "; ".join(n for n in said if n)
        return replace(
            analysis, extracted=replace(analysis.extracted, note=why), stopped=inner.stopped
        )
    if inner.extracted.source not in ARTICLE_SOURCES:
        return analysis
    # the entry is still the page the feed linked to; its text is the frame's
    notes = (f"read through its frame {frame[:200]}", inner.extracted.note)
    note = "; ".join(n for n in notes if n)
    return replace(inner, extracted=replace(inner.extracted, note=note, frame=None))


async def _analyse(ctx: Context, job: PageJob) -> PageAnalysis:
    """The page's analysis, else its teaser's, in one worker slot: a teaser queued behind every
    page waiting for a worker would not be analysed in the task's time (`NoTimeForWork`)."""
    async with ctx.pages.slots.held("extraction"):
        try:
            return await ctx.pages.analyse(job)
        except PageFailed as exc:
            log.info("%s: %s", job.url, exc)
            job, stop = job.without_page(str(exc)), exc.stop
        try:
            return replace(await ctx.pages.analyse(job), stopped=stop)
        except PageFailed as exc:
            log.info("%s (feed summary): %s", job.url, exc)
            teaser = summary_only(job.without_page(f"{job.reason}; feed summary: {exc}"))
            return replace(teaser, stopped=stop)


def store_entry(
    ctx: Context,
    feed_id: int | None,
    feed: FeedConfig,
    entry: FeedEntry,
    url: str,
    page: FetchResult,
    analysis: PageAnalysis,
    now: datetime,
    *,
    announce: bool | None = None,
) -> EntryResult:
    """Store one analysed entry with its matches and alerts: database work, run in a thread.

    `announce` overrides the alert plan (a backfill of given pages): True queues the alerts
    whatever the story's age, False holds them back.
    """
    extracted = analysis.extracted
    retry = not page.ok and not page.refused
    failed = retry and page.failure is not FailureKind.DEFERRED  # the site's failure
    stopped = False  # its work stopped by a worker, read again later
    frame_down = analysis.frame_down  # its frame's download failed softly: as its own did
    failed = failed or frame_down is not None
    article = new_article(feed_id, feed, entry, url, page, analysis, now)
    # a feed's entry: its page is tried again later, at its link as stored (whole up to
    # MAX_LONG_URL: a longer one would be cut, and a cut address is another page or none).
    # A deferred page was never requested: no try is counted, its first request is its first
    # (counted, it was given up unrequested with `page_retries: 0`, and lost a try otherwise)
    if feed_id is not None and retry and len(article.url) <= MAX_LONG_URL:
        tries = 1 if failed else 0
        at = next_try(ctx.config, page, tries, now)
        article = replace(article, page_failed=failed, page_retry_at=at)
    elif feed_id is not None and frame_down is not None and len(article.url) <= MAX_LONG_URL:
        at = next_try(ctx.config, frame_down, 1, now)
        article = replace(article, page_failed=True, page_retry_at=at)
    elif feed_id is not None and analysis.stopped and len(article.url) <= MAX_LONG_URL:
        # read, but its work stopped by a worker: read again later unless the page's own fault
        at = stopped_retry_at(ctx.config, analysis.stopped, 1, now)
        article = replace(article, page_failed=at is not None, page_retry_at=at)
        stopped = at is not None
        if stopped:
            log.info(
                "%s: its page's work stopped (%s); read again on a later pass",
                page.final_url,
                analysis.stopped,
            )
    matches = analysis.matches
    channels, status, note = alert_plan(ctx, matches, article.published_at, now)
    if held_unknown(ctx, entry, status, extracted.published, now):
        status, note = AlertStatus.SKIPPED, AGE_UNKNOWN_HOLD
    if announce is True:
        status, note = AlertStatus.PENDING, None
    elif announce is False:
        status, note = AlertStatus.SKIPPED, BACKFILL_HOLD
    try:
        stored = ctx.store.add_article(
            article, to_stored(matches), ctx.rules.version, channels, status, note
        )
    except DuplicateURLError:  # another feed stored this page while we fetched it
        first = ctx.store.known_articles([url]).get(url)
        if first is not None and entry.link and another_link(first, feed_id, entry.link):
            ctx.store.record_sightings(feed_id, [NewSighting(first.id, entry.link)])
            if first.feed_id != feed_id:  # another source: a reply in the story's thread
                ctx.store.queue_replies(first.id, feed_id, entry.link)
        return EntryResult(extracted.source, failed, EntryFate.SEEN, page_stopped=stopped)
    topics = tuple(m.topic for m in matches)
    if stored.duplicate_of is not None:
        # Another source's copy: the store queued "also reported by" in the thread of the
        # story's alerts, in the copy's own transaction. A copy stays silent, unless it is the
        # first member of a silent cluster to match: then it speaks for the story (the store
        # decides, under its lock).
        spoke = topics if stored.alerts_queued else ()
        near = stored.duplicate_reason in _SIMILAR
        fate = EntryFate.DUPLICATE
        return EntryResult(
            extracted.source, failed, fate, spoke, stored.alerts_queued, near, stopped
        )
    return EntryResult(
        extracted.source, failed, EntryFate.NEW, topics, stored.alerts_queued, page_stopped=stopped
    )


def another_link(stored: KnownArticle, feed_id: int | None, link: str) -> bool:
    """Whether this entry carries a stored page in a way the article row does not record."""
    if stored.feed_id != feed_id:
        return True
    # the same text is the same link (the usual case; cleaning a URL costs ~60 µs)
    return link != stored.url and clean_url(link) != clean_url(stored.url)


async def fetch_page(
    ctx: Context, fetcher: Fetcher, link: str, *, trusted: bool = False
) -> FetchResult:
    """An article page, within the page cap; `trusted`: a URL the operator gave (no address
    policy on its own host). A 200 with nothing in it, as servers answer mid-deploy, is a soft
    failure (`EMPTY`): it was a page read, stored from the teaser for good and never retried.
    A link holding its keyed feed's credential hidden (`?apikey=***`) is not requested."""
    if carries_hidden_credentials(link):
        why = "the link is its keyed feed's address, key hidden: not requested"
        return FetchResult(link, link, failure=FailureKind.REFUSED, error=why)
    page = await fetcher.get(
        link,
        max_bytes=ctx.config.fetch.max_page_bytes,
        accept=PAGE_ACCEPT,
        trusted=trusted,
        in_turn=True,  # every page is fetched in its host's turn (newsmon.turns)
    )
    if page.ok and (not page.content or page.content.isspace()):
        page.fail(FailureKind.EMPTY, f"the page's answer was empty (HTTP {page.status})")
    return page


async def process_entry(
    ctx: Context,
    fetcher: Fetcher,
    feed_id: int,
    feed: FeedConfig,
    entry: FeedEntry,
    url: str,
    outcome: FeedOutcome,
    now: datetime,
    home_url: str | None = None,
    *,
    deadline: float | None = None,
    items: frozenset[str] = frozenset(),
) -> None:
    """One new entry through the pass. An unexpected error is this entry's alone: it is
    counted and recorded on the feed as one line, and the feed's other entries go on. A page
    whose turn has not come by `deadline` (newsmon.turns) is stored from its teaser and
    tried on a later pass; one whose CPU work no worker took in the feeds task's time
    (`NoTimeForWork`) is not stored, for the next pass. An entry naming an item of one of
    `items` (`urls.pages_of_items`: a digest the feed links several items of) is its own
    text, its page not requested."""

    async def through(page: FetchResult) -> EntryResult:
        outcome.bytes_received += len(page.content)
        analysis = await analyse_page(
            ctx, page, entry, feed.language, fetcher, outcome, zone=feed.date_zone
        )
        if outcome.busy:  # a held lock stopped an entry: this one waits for the next pass
            raise NoTimeForWork("storing")
        return await asyncio.to_thread(
            store_entry, ctx, feed_id, feed, entry, url, page, analysis, now
        )

    budget = ctx.config.fetch.feed_pages_budget_seconds
    deferred = False
    try:
        try:
            if not entry.link or entry.wrapped or item_of(entry.link, items) or item_of(url, items):
                raise _NoLink
            async with fetcher.turns.turn(entry.link, deadline, budget):
                result = await through(await fetch_page(ctx, fetcher, entry.link))
        except (OutOfTime, _NoLink) as why:
            deferred = isinstance(why, OutOfTime)
            async with fetcher.pages_in_hand:  # a teaser's analysis, like a page's, in turn
                result = await through(_unfetched(entry, url, feed, home_url, why))
    except NoTimeForWork:  # not stored: the whole entry waits for the next pass
        outcome.entries_late += 1
        return
    except Exception as exc:
        await entry_failed(ctx, feed_id, outcome, entry.link or url, exc)
        return
    # Counted here, on the event loop, so concurrent entries never race on the outcome.
    outcome.count(result)
    outcome.pages_deferred += deferred


class _NoLink(Exception):
    """An entry without a page of its own: its own text is the article."""


def _unfetched(
    entry: FeedEntry, url: str, feed: FeedConfig, home_url: str | None, why: Exception
) -> FetchResult:
    """The page of an entry that was not requested: it has no link, its link is an item of a
    digest (`urls.item_of`), or its turn never came."""
    if isinstance(why, OutOfTime) and entry.link:
        return FetchResult(entry.link, entry.link, failure=FailureKind.DEFERRED, error=str(why))
    if entry.link and entry.wrapped:
        return wrapper_page(entry)
    if entry.link:
        return part_of_page(entry.link, url)
    home = home_url or feed.url  # the entry is its own text; point readers at the feed's site
    return FetchResult(home, home, failure=FailureKind.NO_LINK, error="the entry has no link")


def wrapper_page(entry: FeedEntry) -> FetchResult:
    """An aggregator's page wrapping another publisher's story (`aggregated`): a redirect
    that needs JavaScript, whose text is no article. Not requested: the item is its teaser."""
    link = entry.link or ""
    whose = f"{entry.publisher[:100]}'s" if entry.publisher else "another site's"
    why = f"an aggregator's page wrapping {whose} story: not requested"
    return FetchResult(link, link, failure=FailureKind.REFUSED, error=why)


def part_of_page(link: str, key: str) -> FetchResult:
    """An entry linked to an item of a page its feed links several items of (`digest#item-2`,
    `thread#post-7`, or one link for several entries: `key`, its identity, names its item):
    the page holds every item (its text would make each item a copy of the others and give it
    their topics), so it is not requested and the entry's own text is the item."""
    name = anchor(link) or anchor(key)
    why = f"the link is item #{name[:100]} of a page: the entry's own text is the item"
    return FetchResult(link, link, failure=FailureKind.NO_LINK, error=why)


async def entry_failed(
    ctx: Context, feed_id: int, outcome: FeedOutcome, where: str, exc: Exception
) -> None:
    line = f"entry {where[:200]}: {error_line(exc)}"
    log.warning("%s", line)
    log.debug("entry failed", exc_info=exc)  # the traceback, for debugging only
    if not outcome.lock_held(exc, line):  # a held lock would hold its record too
        await record_entry_failure(ctx, feed_id, outcome, line)


async def record_entry_failure(
    ctx: Context, feed_id: int, outcome: FeedOutcome, line: str, entries: int = 1
) -> None:
    """Entries of a feed that is itself fine were not stored: counted in the pass's outcome
    (the feed is then read whole again next pass) and `line` made the feed's last error."""
    outcome.entry_failed(line, entries)
    try:
        await asyncio.to_thread(ctx.store.record_entry_error, feed_id, line)
    except Exception as again:  # the database itself is failing: the line is in the log
        log.warning("could not record the failed entry: %s", error_line(again))
