"""One monitoring pass, stage by stage, at the grain of a feed or a batch.

Prefect-free: `flows/` wraps these functions in tasks; tests and scripts can call them directly.
Every step that can fail for one feed, page or alert records why and lets the pass go on.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from newsmon import alerts as alerting
from newsmon import poll
from newsmon.classify import Rules, TopicMatch, load_rules
from newsmon.config import Config, FeedConfig, Secrets
from newsmon.dedup import (
    content_hash,
    entry_fingerprint,
    entry_identity,
    minhash_signature,
)
from newsmon.extract import Extracted, extract_article
from newsmon.feeds import FeedEntry, FeedParseError, parse_feed
from newsmon.fetch import FailureKind, Fetcher, FetchResult
from newsmon.store import (
    ALERT_PENDING,
    ALERT_SKIPPED,
    DUP_NEAR,
    DuplicateURLError,
    FeedState,
    KnownArticle,
    NewArticle,
    Store,
    StoredMatch,
    utcnow,
)
from newsmon.urls import clean_url

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
FALLBACK_SOURCES = frozenset({"feed-summary", "none"})


@dataclass
class Context:
    """What one pass shares: configuration, rules and corpus. HTTP lives in a `Fetcher`,
    created inside the pass's event loop (see `fetching`)."""

    config: Config
    rules: Rules
    store: Store
    secrets: Secrets = field(default_factory=Secrets.from_env)

    @classmethod
    def open(cls, config: Config) -> Context:
        rules = load_rules(config.topics_path())
        store = Store.open(config.database_url)
        return cls(config, rules, store)

    def close(self) -> None:
        self.store.close()

    @asynccontextmanager
    async def fetching(self) -> AsyncIterator[Fetcher]:
        fetcher = Fetcher(self.config.fetch)
        try:
            yield fetcher
        finally:
            await fetcher.aclose()


@dataclass
class FeedOutcome:
    feed: str
    ok: bool = True
    error: str | None = None
    warning: str | None = None
    not_modified: bool = False
    not_due: bool = False
    next_check: str | None = None
    moved_to: str | None = None
    entries: int = 0
    new_articles: int = 0
    already_seen: int = 0
    duplicates: int = 0
    near_duplicates: int = 0  # of `duplicates`, those found by MinHash rather than body hash
    updated: int = 0  # known URLs whose feed entry changed and whose page was re-read
    pages_failed: int = 0
    bytes_received: int = 0
    text_sources: Counter[str] = field(default_factory=Counter)
    matches: Counter[str] = field(default_factory=Counter)
    alerts_queued: int = 0


@dataclass
class DeliveryOutcome:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)
    sender: str = ""


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
) -> tuple[dict[str, list[str]], str, str | None]:
    """Channels to alert and the status to queue them with (pending, or skipped and why)."""
    channels = alerting.route((m.topic for m in matches), ctx.config.slack)
    cfg = ctx.config.alerts
    if not cfg.enabled:
        return channels, ALERT_SKIPPED, "alerts disabled in config"
    limit = cfg.max_age_hours
    if limit is not None and published is not None and now - published > timedelta(hours=limit):
        return channels, ALERT_SKIPPED, f"older than {limit:g} h when first seen"
    return channels, ALERT_PENDING, None


@dataclass(frozen=True)
class EntryResult:
    source: str
    page_failed: bool
    fate: str  # "new", "duplicate" or "seen"
    topics: tuple[str, ...] = ()
    alerts_queued: int = 0
    near: bool = False  # a duplicate found by MinHash rather than by body hash


def store_entry(
    ctx: Context,
    feed_id: int,
    feed: FeedConfig,
    entry: FeedEntry,
    url: str,
    page: FetchResult,
    now: datetime,
) -> EntryResult:
    """Extract, classify and store one entry: CPU and database work, run in a thread."""
    extracted = extract_page(ctx, page, entry, feed.language)
    failed = not page.ok and not page.refused
    article = _new_article(feed_id, feed, entry, url, page, extracted, now)
    matches = ctx.rules.classify(article.title, article.text)
    channels, status, note = _alert_plan(ctx, matches, article.published_at, now)
    try:
        stored = ctx.store.add_article(
            article, to_stored(matches), ctx.rules.version, channels, status, note
        )
    except DuplicateURLError:  # another feed stored this page while we fetched it
        first = ctx.store.known_articles([url]).get(url)
        if first is not None and entry.link and _another_link(first, feed_id, entry.link):
            ctx.store.record_sightings(feed_id, [(first.id, entry.link)])
        return EntryResult(extracted.source, failed, "seen")
    topics = tuple(m.topic for m in matches)
    if stored.duplicate_of is not None:
        # A copy stays silent, unless it is the first member of a silent cluster to match:
        # then it speaks for the story (the store decides, under its lock).
        spoke = topics if stored.alerts_queued else ()
        near = stored.duplicate_reason == DUP_NEAR
        return EntryResult(extracted.source, failed, "duplicate", spoke, stored.alerts_queued, near)
    return EntryResult(extracted.source, failed, "new", topics, stored.alerts_queued)


def _new_article(
    feed_id: int,
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


def _another_link(stored: KnownArticle, feed_id: int, link: str) -> bool:
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
    outcome.text_sources[result.source] += 1
    outcome.pages_failed += result.page_failed
    if result.fate == "seen":
        outcome.already_seen += 1
    elif result.fate == "duplicate":
        outcome.duplicates += 1
        outcome.near_duplicates += result.near
        outcome.matches.update(result.topics)
        outcome.alerts_queued += result.alerts_queued
    else:
        outcome.new_articles += 1
        outcome.matches.update(result.topics)
        outcome.alerts_queued += result.alerts_queued


async def process_feed(
    ctx: Context,
    fetcher: Fetcher,
    feed: FeedConfig,
    now: datetime | None = None,
    *,
    force: bool = False,
    state: FeedState | None = None,
) -> FeedOutcome:
    """Fetch one feed and store what is new in it; never raises for a bad feed or page."""
    now = now or utcnow()
    outcome = FeedOutcome(feed.name)
    if state is None:
        state = await asyncio.to_thread(ctx.store.sync_feed, feed.name, feed.url, feed.language)
    if not force and state.next_check_at is not None and state.next_check_at > now:
        outcome.not_due = True
        outcome.next_check = state.next_check_at.strftime("%Y-%m-%d %H:%M UTC")
        return outcome
    response = await fetcher.get(
        state.url,
        max_bytes=ctx.config.fetch.max_feed_bytes,
        accept=FEED_ACCEPT,
        etag=state.etag,
        last_modified=state.last_modified,
        trusted=True,
    )
    outcome.bytes_received = len(response.content)
    if response.not_modified:
        outcome.not_modified = True
        nxt = poll.after_success(ctx.config.poll, now, response.headers)
        await asyncio.to_thread(
            ctx.store.record_feed_success,
            state.id,
            entries=0,
            etag=state.etag,
            last_modified=state.last_modified,
            next_check_at=nxt.at,
            schedule_note=nxt.reason,
            status=304,
            moved_to=response.moved_to,
        )
        return outcome
    if not response.ok:
        error = response.error or f"HTTP {response.status}"
        return await _feed_failed(ctx, state, outcome, response.failure, error, response, now)
    try:
        parsed = await asyncio.to_thread(
            parse_feed,
            response.content,
            response.final_url,
            response.charset,
            response.content_type,
        )
    except FeedParseError as exc:
        failure = FailureKind.NOT_A_FEED
        return await _feed_failed(ctx, state, outcome, failure, str(exc), response, now)
    if response.truncated:
        outcome.warning = f"feed cut at {ctx.config.fetch.max_feed_bytes} bytes"
    elif parsed.warning:
        outcome.warning = parsed.warning
    entries: dict[str, FeedEntry] = {}
    for entry in parsed.entries[: ctx.config.fetch.max_entries_per_feed]:
        text = f"{entry.title}\n{entry.summary}"
        entries.setdefault(entry_identity(entry.link, feed.name, entry.guid, text), entry)
    outcome.entries = len(entries)
    known = await asyncio.to_thread(ctx.store.known_articles, list(entries))
    outcome.already_seen = len(known)
    await asyncio.gather(
        *(
            process_entry(ctx, fetcher, state.id, feed, entry, url, outcome, now, parsed.site_link)
            for url, entry in entries.items()
            if url not in known
        )
    )
    await revisit_known(
        ctx, fetcher, state.id, feed, {u: (entries[u], k) for u, k in known.items()}, outcome, now
    )
    nxt = poll.after_success(ctx.config.poll, now, response.headers, parsed.ttl_minutes)
    outcome.moved_to = response.moved_to
    await asyncio.to_thread(
        ctx.store.record_feed_success,
        state.id,
        entries=len(entries) - len(known),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        next_check_at=nxt.at,
        schedule_note=nxt.reason,
        status=response.status,
        moved_to=response.moved_to,
    )
    if response.moved_to:
        note = f"moved permanently to {response.moved_to}; update the configuration"
        outcome.warning = "; ".join(filter(None, [outcome.warning, note]))
    return outcome


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
            sightings.append((stored.id, entry.link))
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


async def _feed_failed(
    ctx: Context,
    state: FeedState,
    outcome: FeedOutcome,
    failure: FailureKind | None,
    error: str,
    response: FetchResult,
    now: datetime,
) -> FeedOutcome:
    outcome.ok, outcome.error = False, error
    kind = poll.severity(failure, response.status)
    nxt = poll.after_failure(
        ctx.config.poll, now, state.failures + 1, kind, response.headers, response.status
    )
    outcome.next_check = nxt.reason
    await asyncio.to_thread(
        ctx.store.record_feed_failure,
        state.id,
        error,
        kind=kind.value,
        status=response.status,
        next_check_at=nxt.at,
        schedule_note=nxt.reason,
    )
    return outcome


async def process_feeds(
    ctx: Context, fetcher: Fetcher, feeds: Sequence[FeedConfig], *, force: bool = False
) -> list[FeedOutcome]:
    """Feeds concurrently; the fetcher's global and per-host limits keep it polite."""
    now = utcnow()
    states = await asyncio.to_thread(
        ctx.store.sync_feeds, [(f.name, f.url, f.language) for f in feeds]
    )
    return list(
        await asyncio.gather(
            *(process_feed(ctx, fetcher, f, now, force=force, state=states[f.name]) for f in feeds)
        )
    )


def deliver_pending(
    ctx: Context, sender: alerting.Sender, limit: int | None = None
) -> DeliveryOutcome:
    """Send queued alerts, oldest first; an alert is marked sent only after Slack accepted it."""
    outcome = DeliveryOutcome(sender=sender.name)
    blocked_channels: set[str] = set()
    jobs = ctx.store.pending_alerts(limit or ctx.config.slack.max_per_pass)
    for i, job in enumerate(jobs):
        if job.channel in blocked_channels:
            outcome.deferred += 1
            continue
        message = alerting.build_message(job, ctx.rules.labels)
        try:
            ts = sender.send(message)
        except alerting.DeliveryError as exc:
            outcome.errors.append(f"{job.channel}: {exc}")
            if exc.scope == "sender":  # nothing else will get through this pass
                outcome.deferred += len(jobs) - i
                break
            if exc.scope == "channel":
                blocked_channels.add(job.channel)
                outcome.deferred += 1
                continue
            ctx.store.mark_attempt_failed(job.id, str(exc), permanent=True)
            outcome.failed += 1
            continue
        ctx.store.mark_sent(job.id, destination=sender.name, slack_ts=ts)
        outcome.sent += 1
    return outcome


# --- backfill ---------------------------------------------------------------------------------


@dataclass
class ReclassifyOutcome:
    articles: int = 0
    changed: int = 0
    added: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    alerts_queued: int = 0


def reclassify_batch(
    ctx: Context, rows: Sequence[tuple[int, str | None, str]], *, queue_alerts: bool
) -> ReclassifyOutcome:
    """Apply the current rules to stored articles; queue only alerts never queued before."""
    outcome = ReclassifyOutcome()
    for article_id, title, text in rows:
        matches = ctx.rules.classify(title, text)
        added, removed = ctx.store.replace_matches(
            article_id, to_stored(matches), ctx.rules.version
        )
        outcome.articles += 1
        outcome.changed += bool(added or removed)
        outcome.added.update(added)
        outcome.removed.update(removed)
        if queue_alerts and matches:
            for channel, topics in alerting.route(
                (m.topic for m in matches), ctx.config.slack
            ).items():
                outcome.alerts_queued += ctx.store.enqueue_alert(
                    article_id, channel, topics, revive_skipped=True
                )
    return outcome


@dataclass(frozen=True)
class MatchDiff:
    """What re-applying the rules would change for one stored article."""

    article_id: int
    title: str | None
    new: tuple[TopicMatch, ...]  # topics the current rules match and the corpus does not have
    lost: tuple[StoredMatch, ...]  # topics stored for the article that the rules no longer match

    def as_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "new": [
                {"topic": m.topic, "score": m.score, "terms": m.terms, "snippet": m.snippet}
                for m in self.new
            ],
            "lost": [{"topic": m.topic, "score": m.score} for m in self.lost],
        }


def diff_matches(
    article_id: int,
    title: str | None,
    stored: Sequence[StoredMatch],
    current: Sequence[TopicMatch],
) -> MatchDiff | None:
    """Stored matches against the current rules' matches; None when the topics are the same."""
    have = {m.topic for m in stored}
    want = {m.topic for m in current}
    if have == want:
        return None
    return MatchDiff(
        article_id,
        title,
        tuple(m for m in current if m.topic not in have),
        tuple(m for m in stored if m.topic not in want),
    )


def preview_reclassify(
    ctx: Context, rows: Sequence[tuple[int, str | None, str]]
) -> tuple[int, list[MatchDiff]]:
    """What `reclassify_batch` would change, without writing or queueing anything."""
    diffs: list[MatchDiff] = []
    for article_id, title, text in rows:
        diff = diff_matches(
            article_id, title, ctx.store.matches_of(article_id), ctx.rules.classify(title, text)
        )
        if diff is not None:
            diffs.append(diff)
    return len(rows), diffs
