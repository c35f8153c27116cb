"""Pages tried again: the schedule of articles stored from a teaser because their page could
not be downloaded (a timeout, a 5xx), when each is due for another try and how many it has had.
Reading the page at last is `Articles.recover_page`, which re-decides the article's cluster."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from newsmon.corpus.engine import Database
from newsmon.corpus.records import PageRetry
from newsmon.corpus.schema import MAX_LONG_URL, MAX_URL, ArticleRow
from newsmon.corpus.url_keys import stored_key
from newsmon.dedup import LINKLESS_KEY


class PageRetries:
    """Which teasers' pages are due for another download, and what became of a try."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def feeds_with_pages_due(self, now: datetime) -> set[int]:
        """The feeds with a page due for another download: one indexed look-up a pass, so that
        the feeds without one (nearly all) skip `pages_to_retry`."""
        # No DISTINCT: SQLite (no statistics) would read every article in feed order for it,
        # instead of the few waiting ones by `page_retry_at`.
        waiting = select(ArticleRow.feed_id).where(ArticleRow.page_retry_at <= now)
        with self._db.session() as s:
            return {feed_id for feed_id in s.scalars(waiting) if feed_id is not None}

    def pages_to_retry(self, feed_id: int, now: datetime, limit: int) -> list[PageRetry]:
        """A feed's articles stored from a teaser whose page is due for another download,
        longest waiting first."""
        with self._db.session() as s:
            return [
                PageRetry(
                    r.id,
                    r.link,  # the whole link, not its first 2,000 characters
                    r.canonical_url,
                    r.title,
                    r.text,
                    r.language,
                    r.published_at,
                    r.first_seen_at,
                    r.page_attempts,
                    r.page_retry_at or now,  # never None here: due by `now`
                    r.dated_by,
                )
                for r in s.scalars(
                    select(ArticleRow)
                    .where(ArticleRow.feed_id == feed_id, ArticleRow.page_retry_at <= now)
                    .order_by(ArticleRow.page_retry_at, ArticleRow.id)
                    .limit(limit)
                )
            ]

    def link_found(self, article_id: int, key: str, link: str, due: datetime | None) -> bool:
        """A story stored without a link (a breaking item listed first as a headline) whose
        entry now gives its link: the story is that page (stored under its key, so later passes
        find it there, and linked to it, as its alerts are), and its page is due now, read as a
        page read at last (`Articles.recover_page`: a topic only the page holds is announced,
        nothing announced is posted again). Before, its page was never read and its link stayed
        the feed's home page. `due` None: the link names no page to read (a digest's item, an
        aggregator's wrapper). False: no longer link-less, or another feed stored that page."""
        try:
            with self._db.session() as s:
                self._db.lock_writes(s)
                row = s.get(ArticleRow, article_id)
                taken = select(ArticleRow.id).where(ArticleRow.canonical_url == stored_key(key))
                if row is None or not row.canonical_url.startswith(LINKLESS_KEY):
                    return False
                if s.scalar(taken) is not None:
                    return False
                row.canonical_url, row.url = stored_key(key), link  # `url` cut to MAX_URL
                row.long_url = link if len(link) > MAX_URL else None
                if due is not None and len(link) <= MAX_LONG_URL:  # a cut address: no page
                    row.page_retry_at, row.page_attempts = due, 0
                s.flush()
                return True
        except IntegrityError:  # another feed stored the page meanwhile: it keeps it
            return False

    def page_retry_failed(
        self, article_id: int, attempts: int, retry_at: datetime | None, note: str
    ) -> None:
        """Another try at the page failed: count it, say why, and when to try next (None: no
        more tries; the teaser stays the body)."""
        with self._db.session() as s:
            row = s.get(ArticleRow, article_id)
            if row is not None:
                row.page_attempts, row.page_retry_at = attempts, retry_at
                row.extraction_note = note

    def give_up_pages(self, article_ids: Sequence[int], note: str, now: datetime) -> None:
        """These pages are not tried again, their tries uncounted (never requested): the
        teaser stays the body, `note` says why, and health counts them unread."""
        with self._db.session() as s:
            s.execute(
                update(ArticleRow)
                .where(ArticleRow.id.in_(list(article_ids)), ArticleRow.page_retry_at.is_not(None))
                .values(page_retry_at=None, extraction_note=note, page_unrequested_at=now)
            )

    def postpone_page_retries(self, article_ids: Sequence[int], retry_at: datetime) -> None:
        """These pages' site is still failing: their next try waits, and is not counted."""
        with self._db.session() as s:
            s.execute(
                update(ArticleRow)
                .where(ArticleRow.id.in_(list(article_ids)), ArticleRow.page_retry_at.is_not(None))
                .values(page_retry_at=retry_at)
            )
