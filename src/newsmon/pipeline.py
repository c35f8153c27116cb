"""One monitoring pass, stage by stage, at the grain of a feed or a batch.

Prefect-free: `flows/` wraps these functions in tasks; tests and scripts can call them directly.
Every step that can fail for one feed, page or alert records why and lets the pass go on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from newsmon import alerts as alerting
from newsmon.classify import Rules, TopicMatch, load_rules
from newsmon.config import Config, FeedConfig, Secrets
from newsmon.dedup import (
    canonical_url,
    clean_url,
    content_hash,
    entry_fingerprint,
    minhash_signature,
)
from newsmon.extract import Extracted, extract_article
from newsmon.feeds import FeedEntry, FeedParseError, parse_feed
from newsmon.fetch import Fetcher, FetchResult
from newsmon.store import (
    ALERT_PENDING,
    ALERT_SKIPPED,
    DUP_NEAR,
    DuplicateURLError,
    KnownArticle,
    NewArticle,
    Store,
    StoredMatch,
    utcnow,
)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
FALLBACK_SOURCES = frozenset({"feed-summary", "none"})


@dataclass
class Context:
    """What one pass shares: configuration, rules, corpus and HTTP client."""

    config: Config
    rules: Rules
    store: Store
    fetcher: Fetcher
    secrets: Secrets = field(default_factory=Secrets.from_env)

    @classmethod
    def open(cls, config: Config) -> Context:
        rules = load_rules(config.topics_path())
        store = Store.open(config.database_url)
        return cls(config, rules, store, Fetcher(config.fetch))

    def close(self) -> None:
        self.fetcher.close()
        self.store.close()


@dataclass
class FeedOutcome:
    feed: str
    ok: bool = True
    error: str | None = None
    warning: str | None = None
    not_modified: bool = False
    entries: int = 0
    new_articles: int = 0
    already_seen: int = 0
    duplicates: int = 0
    near_duplicates: int = 0  # of `duplicates`, those found by MinHash rather than body hash
    updated: int = 0  # known URLs whose feed entry changed and whose page was re-read
    pages_failed: int = 0
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


def _fetch_text(ctx: Context, entry: FeedEntry, language: str | None) -> tuple[Extracted, bool]:
    """Fetch and extract an entry's page; returns the text and whether the page fetch failed."""
    page: FetchResult = ctx.fetcher.get(
        entry.link, max_bytes=ctx.config.fetch.max_page_bytes, accept=PAGE_ACCEPT
    )
    common: dict[str, Any] = {
        "url": page.final_url,
        "feed_title": entry.title,
        "feed_summary": entry.summary,
        "language_hint": language,
    }
    if not page.ok:
        return extract_article(None, reason=f"page fetch failed: {page.error}", **common), True
    if page.content_type not in HTML_TYPES:
        return extract_article(
            None, reason=f"not an HTML page ({page.content_type})", **common
        ), False
    extracted = extract_article(page.content, http_charset=page.charset, **common)
    if page.truncated:
        note = f"page cut at {ctx.config.fetch.max_page_bytes} bytes"
        extracted = Extracted(
            **{**extracted.__dict__, "note": "; ".join(filter(None, [extracted.note, note]))}
        )
    return extracted, False


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


def _new_article(
    feed_id: int, feed: FeedConfig, entry: FeedEntry, url: str, extracted: Extracted
) -> NewArticle:
    return NewArticle(
        canonical_url=url,
        url=entry.link,
        feed_id=feed_id,
        guid=entry.guid,
        # The feed's title is the publisher's headline; page <title>s carry site suffixes.
        title=entry.title or extracted.title,
        text=extracted.text,
        text_source=extracted.source,
        extraction_note=extracted.note,
        language=extracted.language or feed.language,
        author=entry.author or extracted.author,
        published_at=entry.published or extracted.published,
        content_hash=content_hash(extracted.text),
        signature=minhash_signature(extracted.text),
        entry_fingerprint=entry_fingerprint(entry.title, entry.summary),
    )


def process_entry(
    ctx: Context,
    feed_id: int,
    feed: FeedConfig,
    entry: FeedEntry,
    url: str,
    outcome: FeedOutcome,
    now: datetime,
) -> None:
    extracted, page_failed = _fetch_text(ctx, entry, feed.language)
    outcome.pages_failed += page_failed
    outcome.text_sources[extracted.source] += 1
    article = _new_article(feed_id, feed, entry, url, extracted)
    matches = ctx.rules.classify(article.title, extracted.text)
    channels, status, note = _alert_plan(ctx, matches, article.published_at, now)
    try:
        stored = ctx.store.add_article(
            article, to_stored(matches), ctx.rules.version, channels, status, note
        )
    except DuplicateURLError:  # another feed stored this page while we fetched it
        outcome.already_seen += 1
        stored_first = ctx.store.known_articles([url]).get(url)
        if stored_first is not None and _another_link(stored_first, feed_id, entry):
            ctx.store.record_sightings(feed_id, [(stored_first.id, entry.link)])
        return
    if stored.duplicate_of is not None:
        outcome.duplicates += 1
        outcome.near_duplicates += stored.duplicate_reason == DUP_NEAR
        if stored.alerts_queued:  # the first copy to match speaks for a silent cluster
            outcome.matches.update(m.topic for m in matches)
            outcome.alerts_queued += stored.alerts_queued
        return
    outcome.new_articles += 1
    outcome.matches.update(m.topic for m in matches)
    outcome.alerts_queued += stored.alerts_queued


def process_feed(ctx: Context, feed: FeedConfig, now: datetime | None = None) -> FeedOutcome:
    """Fetch one feed and store what is new in it; never raises for a bad feed or page."""
    now = now or utcnow()
    outcome = FeedOutcome(feed.name)
    feed_id = ctx.store.sync_feed(feed.name, feed.url, feed.language)
    etag, last_modified = ctx.store.feed_validators(feed_id)
    response = ctx.fetcher.get(
        feed.url,
        max_bytes=ctx.config.fetch.max_feed_bytes,
        accept=FEED_ACCEPT,
        etag=etag,
        last_modified=last_modified,
    )
    if response.not_modified:
        outcome.not_modified = True
        ctx.store.record_feed_success(feed_id, entries=0, etag=etag, last_modified=last_modified)
        return outcome
    if not response.ok:
        return _feed_failed(ctx, feed_id, outcome, response.error or f"HTTP {response.status}")
    try:
        parsed = parse_feed(
            response.content, response.final_url, response.charset, response.content_type
        )
    except FeedParseError as exc:
        return _feed_failed(ctx, feed_id, outcome, str(exc))
    if response.truncated:
        outcome.warning = f"feed cut at {ctx.config.fetch.max_feed_bytes} bytes"
    elif parsed.warning:
        outcome.warning = parsed.warning
    entries: dict[str, FeedEntry] = {}
    for entry in parsed.entries[: ctx.config.fetch.max_entries_per_feed]:
        entries.setdefault(canonical_url(entry.link), entry)
    outcome.entries = len(entries)
    known = ctx.store.known_articles(list(entries))
    outcome.already_seen = len(known)
    for url, entry in entries.items():
        if url not in known:
            process_entry(ctx, feed_id, feed, entry, url, outcome, now)
    _revisit_known(ctx, feed_id, feed, {u: (entries[u], k) for u, k in known.items()}, outcome)
    ctx.store.record_feed_success(
        feed_id,
        entries=len(entries) - len(known),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )
    return outcome


def _another_link(stored: KnownArticle, feed_id: int, entry: FeedEntry) -> bool:
    """Whether this entry carries a stored page in a way the article row does not record."""
    return stored.feed_id != feed_id or clean_url(entry.link) != clean_url(stored.url)


def _revisit_known(
    ctx: Context,
    feed_id: int,
    feed: FeedConfig,
    known: dict[str, tuple[FeedEntry, KnownArticle]],
    outcome: FeedOutcome,
) -> None:
    """Entries whose URL is stored already: remember other feeds and URL variants carrying the
    story, and re-read a page when its own feed changed the entry (an edit).

    Only the feed that first carried an article can signal an edit: other feeds title the same
    page their own way. An edit updates the stored article and never alerts again.
    """
    sightings = []
    for url, (entry, stored) in known.items():
        if _another_link(stored, feed_id, entry):
            sightings.append((stored.id, entry.link))
        if (
            stored.feed_id == feed_id
            and stored.entry_fingerprint is not None
            and stored.entry_fingerprint != entry_fingerprint(entry.title, entry.summary)
        ):
            extracted, page_failed = _fetch_text(ctx, entry, feed.language)
            outcome.pages_failed += page_failed
            if page_failed:  # keep what we have; the fingerprint stays old, so we try again
                continue
            changed = _new_article(feed_id, feed, entry, url, extracted)
            # a page that yields no article text now must not replace the body it had
            keep_body = extracted.source in FALLBACK_SOURCES and stored.text_source not in (
                FALLBACK_SOURCES
            )
            matches = ctx.rules.classify(changed.title, changed.text)
            updated = ctx.store.update_article(
                stored.id, changed, to_stored(matches), ctx.rules.version, keep_body=keep_body
            )
            outcome.updated += updated
    if sightings:
        ctx.store.record_sightings(feed_id, sightings)


def _feed_failed(ctx: Context, feed_id: int, outcome: FeedOutcome, error: str) -> FeedOutcome:
    outcome.ok, outcome.error = False, error
    ctx.store.record_feed_failure(feed_id, error)
    return outcome


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
