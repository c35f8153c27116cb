"""Entries already stored, met again in their feed: other links to them (sightings, replies in
their story's thread), and edits by their own feed, whose page is read again."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from newsmon.config import FeedConfig
from newsmon.corpus.edits import Edited
from newsmon.corpus.records import KnownArticle, NewSighting
from newsmon.feeds import FeedEntry
from newsmon.fetch import Fetcher, FetchResult
from newsmon.pipeline.alert_plans import edit_plan
from newsmon.pipeline.context import Context
from newsmon.pipeline.entries import (
    FALLBACK_SOURCES,
    analyse_page,
    another_link,
    entry_failed,
    fetch_page,
    part_of_page,
    to_stored,
    wrapper_page,
)
from newsmon.pipeline.entry_keys import fingerprinted_as
from newsmon.pipeline.new_articles import new_article
from newsmon.pipeline.outcomes import FeedOutcome
from newsmon.pipeline.page_tries import RETRIED_STOPS
from newsmon.pipeline.twins import read_for
from newsmon.turns import NoTimeForWork, OutOfTime
from newsmon.urls import item_of
from newsmon.workers import PageAnalysis

log = logging.getLogger(__name__)


async def revisit_known(
    ctx: Context,
    fetcher: Fetcher,
    feed_id: int,
    feed: FeedConfig,
    known: dict[str, tuple[FeedEntry, KnownArticle]],
    outcome: FeedOutcome,
    now: datetime,
    *,
    deadline: float | None = None,
    items: frozenset[str] = frozenset(),
) -> None:
    """Entries whose URL is stored already: remember other feeds and URL variants carrying the
    story, and re-read a page when its own feed changed the entry (an edit), if its turn
    comes by `deadline` (newsmon.turns); an item of one of `items` (a digest) is re-read from
    its entry.

    Only the feed that first carried an article can signal an edit: other feeds title the same
    page their own way. An edit updates the stored article and never alerts again. An edit
    whose page could not be read (a failed download, its frame's, a worker stalled or killed:
    `RETRIED_STOPS`) leaves the article as it was and its fingerprint old, and the feed is read
    whole at its next check (`edits_unread`, no 304): the entry, edited still, is read again
    (while its feed lists it; no try is counted).
    """
    sightings = []
    edited: list[tuple[str, FeedEntry, KnownArticle]] = []
    for url, (entry, stored) in known.items():
        if entry.link and another_link(stored, feed_id, entry.link):
            sightings.append(NewSighting(stored.id, entry.link))
        if (
            entry.link
            and stored.feed_id == feed_id
            and stored.entry_fingerprint is not None
            and not fingerprinted_as(stored.entry_fingerprint, entry)
        ):
            edited.append((url, entry, stored))
    if sightings:
        await asyncio.to_thread(ctx.store.record_sightings, feed_id, sightings)
        same = await asyncio.to_thread(read_for, ctx, feed.name)  # its twins' stories are its own
        for entry, stored in known.values():
            if entry.link and stored.feed_id != feed_id:  # the same page through another feed
                queue = ctx.store.queue_replies
                await asyncio.to_thread(queue, stored.id, feed_id, entry.link, same)

    async def reread(url: str, entry: FeedEntry, stored: KnownArticle, link: str) -> None:
        try:
            if entry.wrapped or item_of(link, items) or item_of(url, items):  # its own text
                page = wrapper_page(entry) if entry.wrapped else part_of_page(link, url)
                async with fetcher.pages_in_hand:
                    await apply(url, entry, stored, link, page)
                return
            await reread_in_turn(url, entry, stored, link)
        except OutOfTime:  # not requested: the fingerprint stays old, so a later pass tries
            outcome.pages_deferred += 1

    budget = ctx.config.fetch.feed_pages_budget_seconds

    async def reread_in_turn(url: str, entry: FeedEntry, stored: KnownArticle, link: str) -> None:
        async with fetcher.turns.turn(link, deadline, budget):  # body held until it is stored
            page = await fetch_page(ctx, fetcher, link)
            outcome.bytes_received += len(page.content)
            if not page.ok:  # keep what we have; the fingerprint stays old, so we try again
                outcome.pages_failed += not page.refused
                outcome.edits_unread += 1
                return
            await apply(url, entry, stored, link, page)

    async def apply(
        url: str, entry: FeedEntry, stored: KnownArticle, link: str, page: FetchResult
    ) -> None:
        try:
            analysis = await analyse_page(
                ctx, page, entry, feed.language, fetcher, outcome, zone=feed.date_zone
            )
            if analysis.frame_down is not None:  # its frame's download failed: as its own
                outcome.pages_failed += 1
                outcome.edits_unread += 1
                return  # the fingerprint stays old
            if analysis.stopped in RETRIED_STOPS:  # not the page's fault: read it next pass
                outcome.pages_stopped += 1
                outcome.edits_unread += 1
                log.info(
                    "%s: its edit's page's work stopped (%s); the article is kept as it was and "
                    "the edit read again on a later pass",
                    page.final_url,
                    analysis.stopped,
                )
                return  # the fingerprint stays old
            edited = await asyncio.to_thread(
                _apply_edit, ctx, feed_id, feed, entry, url, page, analysis, stored, now
            )
            outcome.updated += edited.changed
            outcome.alerts_queued += edited.alerts_queued
        except NoTimeForWork:  # the fingerprint stays old: the next pass re-reads it
            outcome.entries_late += 1
        except Exception as exc:
            await entry_failed(ctx, feed_id, outcome, link, exc)

    await asyncio.gather(*(reread(u, e, s, e.link) for u, e, s in edited if e.link))


def _apply_edit(
    ctx: Context,
    feed_id: int,
    feed: FeedConfig,
    entry: FeedEntry,
    url: str,
    page: FetchResult,
    analysis: PageAnalysis,
    stored: KnownArticle,
    now: datetime,
) -> Edited:
    changed = new_article(feed_id, feed, entry, url, page, analysis, now)
    # a page that yields no article text now must not replace the body it had
    source = analysis.extracted.source
    keep_body = source in FALLBACK_SOURCES and stored.text_source not in FALLBACK_SOURCES
    matches = analysis.matches
    # a silent story the edit gave a topic is announced (`edits.announce_edit`)
    channels, status, note = edit_plan(ctx, matches, changed, stored, now)
    return ctx.store.update_article(
        stored.id,
        changed,
        to_stored(matches),
        ctx.rules.version,
        keep_body=keep_body,
        alerts=channels,
        alert_status=status,
        alert_hold=note,
    )
