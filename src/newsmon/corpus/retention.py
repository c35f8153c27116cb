"""Retention of the near-duplicate index: the band rows of old stories leave it.

The articles stay in their aggregate (`corpus.articles`), with text, hash and signature; only
their rows in `article_bands` go, and `articles.bands_dropped_at` records it. An edit puts an
article back in the index (`Articles._add_bands`).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Label, Table, and_, case, delete, func, select, update

from newsmon.clock import utcnow
from newsmon.corpus.articles import stored_keys
from newsmon.corpus.engine import Database
from newsmon.corpus.records import DuplicateReason
from newsmon.corpus.schema import ArticleBandRow, ArticleRow
from newsmon.dedup import (
    LEAD_SOURCE_CHARS,
    SHORT_TEXT_BASE,
    SHORT_TEXT_PER_TITLE_CHAR,
    keys_before_labels,
    lead_keys,
)

# Articles in one DELETE: up to 84 keys each, well under SQLite's limit of 32,766 bound values
# in one statement.
_ARTICLES_PER_DELETE = 100


def _text_if_short() -> Label[str | None]:
    """An article's text when it may be a short item (whose body keys are computed from it),
    else NULL: a long text gives no key, and a batch of them (up to `extract.max_text_chars`
    each) would sit in memory at once for nothing (`dedup.short_body`, same bound)."""
    a = ArticleRow
    title = func.coalesce(func.length(a.title), 0)
    short = func.length(a.text) <= SHORT_TEXT_BASE + SHORT_TEXT_PER_TITLE_CHAR * title
    return case((short, a.text), else_=None).label("text")


def _old_indexed(before: datetime) -> ColumnElement[bool]:
    """Articles first seen before `before` and still in the index. The condition names
    `bands_dropped_at IS NULL`, so the partial index serves it."""
    return and_(ArticleRow.bands_dropped_at.is_(None), ArticleRow.first_seen_at < before)


class IndexRetention:
    """Old stories out of the near-duplicate index, and how many are due."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def oldest_page_waiting(self, tried_since: datetime) -> datetime | None:
        """When the longest-waiting teaser whose page is still being tried (its next try set
        for `tried_since` or later) was first seen; None when there is none. Read at last, it
        is deduplicated against the stories near then. A page whose feed left the configuration
        is never tried again: its try recedes into the past, and it stops counting."""
        # The minimum is taken here, not by MIN(): SQLite would walk the index by first_seen_at
        # for it, reading every article when no page waits; this reads only the waiting ones.
        waiting = select(ArticleRow.first_seen_at).where(ArticleRow.page_retry_at >= tried_since)
        with self._db.session() as s:
            return min(s.scalars(waiting), default=None)

    def count_old_indexed(self, before: datetime) -> int:
        """How many articles `drop_old_bands` would take out of the index (for a dry run)."""
        with self._db.session() as s:
            counted = s.scalar(select(func.count()).where(_old_indexed(before)))
            return int(counted or 0)

    def drop_old_bands(self, before: datetime, limit: int) -> int:
        """Take up to `limit` articles first seen before `before` out of the near-duplicate
        index (their band rows), oldest first, and mark them; returns how many.

        Safe only for a `before` far enough back that no live article can join these stories
        (`index_days.min_index_days`). The article, its signature and hash stay (an identical body
        is found at any age; an edit re-indexes it). Rows are deleted by primary key, from the
        keys the stored signature and body give: the table has no index by article. On
        PostgreSQL, articles another transaction holds (an edit, a page read at last, another
        pass pruning) are skipped, not waited for; on SQLite the prune holds the write lock
        from its first read, so an edit waits for it (or it for the edit).
        """
        a = ArticleRow
        picked = (
            select(
                a.id,
                a.title,
                _text_if_short(),
                # what a long text's lead keys are computed from (`dedup.lead_keys`)
                func.substr(a.text, 1, LEAD_SOURCE_CHARS).label("opening"),
                a.minhash,
                a.minhash_scheme,
                a.duplicate_reason,
            )
            .where(_old_indexed(before))
            .order_by(a.first_seen_at)
            .limit(limit)
        )
        if self._db.is_postgres:
            picked = picked.with_for_update(skip_locked=True, key_share=True)
        bands = cast(Table, ArticleBandRow.__table__)  # Core, without the ORM's bookkeeping
        with self._db.session() as s:
            # SQLite: the write lock before the rows are read, or an edit committed between
            # this read and the first DELETE would leave the article marked out of the index
            # with the bands of its new text in it (they would never be pruned).
            self._db.lock_writes(s)
            rows = s.execute(picked).all()
            # Per chunk of articles, the rows whose article is one of them and whose key is one
            # of theirs: exactly their rows (an article is indexed only under its own keys),
            # found through the primary key on both databases. An exact copy has no rows.
            indexed = [row for row in rows if row.duplicate_reason != DuplicateReason.HASH]
            for i in range(0, len(indexed), _ARTICLES_PER_DELETE):
                chunk = indexed[i : i + _ARTICLES_PER_DELETE]
                keys = {
                    key
                    for row in chunk
                    for key in stored_keys(
                        row.title, row.text or "", row.minhash, row.minhash_scheme
                    )
                    + lead_keys(row.title, row.opening)
                    + keys_before_labels(row.title, row.opening)
                }
                if keys:
                    s.execute(
                        delete(bands).where(
                            bands.c.band_key.in_(sorted(keys)),
                            bands.c.article_id.in_([row.id for row in chunk]),
                        )
                    )
            if rows:
                s.execute(
                    update(a)
                    .where(a.id.in_([row.id for row in rows]))
                    .values(bands_dropped_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
            return len(rows)
