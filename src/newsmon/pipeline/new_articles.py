"""The article row a feed's entry (or a given page) becomes, dated as well as its publisher lets:
the entry's date, else its page's, else the time first seen; a date ahead of now is none."""

from __future__ import annotations

import logging
from datetime import datetime

from newsmon.config import FeedConfig
from newsmon.corpus.records import DatedBy, NewArticle
from newsmon.dates import believable
from newsmon.dedup import entry_fingerprint
from newsmon.feeds import FeedEntry
from newsmon.fetch import FetchResult
from newsmon.workers import PageAnalysis

log = logging.getLogger(__name__)


def new_article(
    feed_id: int | None,
    feed: FeedConfig,
    entry: FeedEntry,
    url: str,
    page: FetchResult,
    analysis: PageAnalysis,
    now: datetime,
) -> NewArticle:
    """The row to store; a date ahead of `now` is logged once, when the story is stored."""
    extracted = analysis.extracted
    published = believable(entry.published, now) or believable(extracted.published, now)
    if entry.published is not None and published is not entry.published:
        log.warning(
            "feed %s: an entry is dated %s, ahead of now: dated %s",
            feed.name,
            entry.published.isoformat(),
            "by its page" if published else "when first seen",
        )
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
        # the feed's language was the hint extraction weighed, for text too short to tell:
        # None here is text in another script (Cyrillic, Arabic, ...), not the feed's language
        language=extracted.language,
        author=entry.author or extracted.author,
        # No usable date anywhere (or only dates ahead of now: `dates.believable`): the story
        # is as new as the moment we first saw it.
        published_at=published or now,
        dated_by=_dated_by(entry, published),
        content_hash=analysis.content_hash,
        signature=analysis.signature,
        entry_fingerprint=entry_fingerprint(*entry.key_text()),
        publisher=entry.publisher,
        publisher_site=entry.publisher_site,
        # read: a teaser standing in for its page is unread (a redesign, a consent wall)
        page_read=page.ok,
    )


def _dated_by(entry: FeedEntry, published: datetime | None) -> DatedBy:
    if published is None:  # as new as first seen, or of unknown age on the feed's first read
        return DatedBy.UNKNOWN if entry.age_unknown else DatedBy.SEEN
    return DatedBy.FEED if published is entry.published else DatedBy.PAGE
