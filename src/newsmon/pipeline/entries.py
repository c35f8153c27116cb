"""One feed entry through the pass: fetch its page, extract, classify, store, queue alerts;
and entries already stored: other links to them, and edits by their own feed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from newsmon import alerts as alerting
from newsmon.config import FeedConfig
from newsmon.corpus.records import (
    AlertStatus,
    DuplicateReason,
    DuplicateURLError,
    KnownArticle,
    NewArticle,
    NewSighting,
    StoredMatch,
)
from newsmon.dedup import content_hash, entry_fingerprint, minhash_signature
from newsmon.extract import Extracted, extract_article
from newsmon.feeds import FeedEntry
from newsmon.fetch import FailureKind, Fetcher, FetchResult
from newsmon.pipeline.context import Context
from newsmon.pipeline.outcomes import EntryFate, EntryResult, FeedOutcome
from newsmon.rules import TopicMatch
from newsmon.urls import clean_url

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
FALLBACK_SOURCES = frozenset({"feed-summary", "none"})


def to_stored(matches: Iterable[TopicMatch]) -> list[StoredMatch]:
    return [
        StoredMatch(m.topic, m.score, [h.as_dict() for h in m.hits], m.snippet) for m in matches
    ]


def extract_page(
    ctx: Context, page: FetchResult, entry: FeedEntry, language: str | None
) -> Extracted:
    """Text for an entry from its fetched page, or the feed's summary and why."""
    common: dict[str, Any] = {
        "url": page.final_url,
        "feed_title": entry.title,
        "feed_summary": entry.summary,
        "language_hint": language,
    }
    if not page.ok:
        why = page.error if page.refused else f"page fetch failed: {page.error}"
        return extract_article(None, reason=why, **common)
    if page.content_type not in HTML_TYPES:
        return extract_article(None, reason=f"not an HTML page ({page.content_type})", **common)
    extracted = extract_article(page.content, http_charset=page.charset, **common)
    if page.truncated:
        note = f"page cut at {ctx.config.fetch.max_page_bytes} bytes"
        extracted = replace(extracted, note="; ".join(filter(None, [extracted.note, note])))
    return extracted


def _alert_plan(
    ctx: Context, matches: Sequence[TopicMatch], published: datetime | None, now: datetime
) -> tuple[dict[str, list[str]], AlertStatus, str | None]:
    """Channels to alert and the status to queue them with (pending, or skipped and why)."""
    channels = alerting.route((m.topic for m in matches), ctx.config.slack)
    cfg = ctx.config.alerts
    if not cfg.enabled:
        return channels, AlertStatus.SKIPPED, "alerts disabled in config"
    limit = cfg.max_age_hours
    if limit is not None and published is not None and now - published > timedelta(hours=limit):
        return channels, AlertStatus.SKIPPED, f"older than {limit:g} h when first seen"
    return channels, AlertStatus.PENDING, None


def store_entry(
    ctx: Context,
    feed_id: int | None,
    feed: FeedConfig,
    entry: FeedEntry,
    url: str,
    page: FetchResult,
    now: datetime,
    *,
    announce: bool | None = None,
) -> EntryResult:
    """Extract, classify and store one entry: CPU and database work, run in a thread.

    `announce` overrides the alert plan (a backfill of given pages): True queues the alerts
    whatever the story's age, False holds them back.
    """
    extracted = extract_page(ctx, page, entry, feed.language)
    failed = not page.ok and not page.refused
    article = _new_article(feed_id, feed, entry, url, page, extracted, now)
    matches = ctx.rules.classify(article.title, article.text)
    channels, status, note = _alert_plan(ctx, matches, article.published_at, now)
    if announce is True:
        status, note = AlertStatus.PENDING, None
    elif announce is False:
        status, note = AlertStatus.SKIPPED, "backfilled without --alerts"
    try:
        stored = ctx.store.add_article(
            article, to_stored(matches), ctx.rules.version, channels, status, note
        )
    except DuplicateURLError:  # another feed stored this page while we fetched it
        first = ctx.store.known_articles([url]).get(url)
        if first is not None and entry.link and _another_link(first, feed_id, entry.link):
            ctx.store.record_sightings(feed_id, [NewSighting(first.id, entry.link)])
        return EntryResult(extracted.source, failed, EntryFate.SEEN)
    topics = tuple(m.topic for m in matches)
    if stored.duplicate_of is not None:
        # A copy stays silent, unless it is the first member of a silent cluster to match:
        # then it speaks for the story (the store decides, under its lock).
        spoke = topics if stored.alerts_queued else ()
        near = stored.duplicate_reason in (DuplicateReason.NEAR, DuplicateReason.SHORT)
        return EntryResult(
            extracted.source, failed, EntryFate.DUPLICATE, spoke, stored.alerts_queued, near
        )
    return EntryResult(extracted.source, failed, EntryFate.NEW, topics, stored.alerts_queued)


def _new_article(
    feed_id: int | None,
    feed: FeedConfig,
    entry: FeedEntry,
    url: str,
    page: FetchResult,
    extracted: Extracted,
    now: datetime,
) -> NewArticle:
    return NewArticle(
        canonical_url=url,
        url=entry.link or page.url,
        feed_id=feed_id,
        guid=entry.guid,
        # The feed's title is the publisher's headline; page <title>s carry site suffixes.
        title=entry.title or extracted.title,
        text=extracted.text,
        text_source=extracted.source,
        extraction_note=extracted.note,
        language=extracted.language or feed.language,
        author=entry.author or extracted.author,
        # No usable date anywhere: the story is as new as the moment we first saw it.
        published_at=entry.published or extracted.published or now,
        content_hash=content_hash(extracted.text),
        signature=minhash_signature(extracted.text),
        entry_fingerprint=entry_fingerprint(entry.title, entry.summary),
    )


def _another_link(stored: KnownArticle, feed_id: int | None, link: str) -> bool:
    """Whether this entry carries a stored page in a way the article row does not record."""
    return stored.feed_id != feed_id or clean_url(link) != clean_url(stored.url)


async def _fetch_page(ctx: Context, fetcher: Fetcher, link: str) -> FetchResult:
    return await fetcher.get(link, max_bytes=ctx.config.fetch.max_page_bytes, accept=PAGE_ACCEPT)


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
) -> None:
    if entry.link:
        page = await _fetch_page(ctx, fetcher, entry.link)
    else:  # the entry is its own text; point readers at the feed's site
        home = home_url or feed.url
        page = FetchResult(home, home, failure=FailureKind.NO_LINK, error="the entry has no link")
    outcome.bytes_received += len(page.content)
    result = await asyncio.to_thread(store_entry, ctx, feed_id, feed, entry, url, page, now)
    # Counted here, on the event loop, so concurrent entries never race on the outcome.
    outcome.count(result)


async def revisit_known(
    ctx: Context,
    fetcher: Fetcher,
    feed_id: int,
    feed: FeedConfig,
    known: dict[str, tuple[FeedEntry, KnownArticle]],
    outcome: FeedOutcome,
    now: datetime,
) -> None:
    """Entries whose URL is stored already: remember other feeds and URL variants carrying the
    story, and re-read a page when its own feed changed the entry (an edit).

    Only the feed that first carried an article can signal an edit: other feeds title the same
    page their own way. An edit updates the stored article and never alerts again.
    """
    sightings = []
    edited: list[tuple[str, FeedEntry, KnownArticle]] = []
    for url, (entry, stored) in known.items():
        if entry.link and _another_link(stored, feed_id, entry.link):
            sightings.append(NewSighting(stored.id, entry.link))
        if (
            entry.link
            and stored.feed_id == feed_id
            and stored.entry_fingerprint is not None
            and stored.entry_fingerprint != entry_fingerprint(entry.title, entry.summary)
        ):
            edited.append((url, entry, stored))
    if sightings:
        await asyncio.to_thread(ctx.store.record_sightings, feed_id, sightings)
    pages = await asyncio.gather(
        *(_fetch_page(ctx, fetcher, e.link) for _, e, _ in edited if e.link)
    )
    for (url, entry, stored), page in zip(edited, pages, strict=True):
        outcome.bytes_received += len(page.content)
        if not page.ok:  # keep what we have; the fingerprint stays old, so we try again
            outcome.pages_failed += not page.refused
            continue
        outcome.updated += await asyncio.to_thread(
            _apply_edit, ctx, feed_id, feed, entry, url, page, stored, now
        )


def _apply_edit(
    ctx: Context,
    feed_id: int,
    feed: FeedConfig,
    entry: FeedEntry,
    url: str,
    page: FetchResult,
    stored: KnownArticle,
    now: datetime,
) -> bool:
    extracted = extract_page(ctx, page, entry, feed.language)
    changed = _new_article(feed_id, feed, entry, url, page, extracted, now)
    # a page that yields no article text now must not replace the body it had
    keep_body = extracted.source in FALLBACK_SOURCES and stored.text_source not in FALLBACK_SOURCES
    matches = ctx.rules.classify(changed.title, changed.text)
    return ctx.store.update_article(
        stored.id, changed, to_stored(matches), ctx.rules.version, keep_body=keep_body
    )
