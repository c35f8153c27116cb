"""Stored articles read for a backfill: the originals of a date range (optionally one feed's),
in batches read one at a time, so a range of any size never sits in memory at once; and the
copies of each one's story, which may speak for it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from newsmon import clusters
from newsmon.corpus.engine import Database
from newsmon.corpus.records import AlertStatus, ArticleText
from newsmon.corpus.schema import AlertRow, ArticleRow, FeedRow, MatchRow


class Backlog:
    """The articles a backfill re-classifies."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def reclassify_batches(
        self,
        since: datetime,
        until: datetime | None,
        *,
        feed: str | None = None,
        batch: int = 500,
    ) -> Iterator[list[ArticleText]]:
        """`articles_for_reclassify` in batches of `batch`, read one batch at a time (keyset on
        the id), optionally only the articles `feed` carried; a range of any size is never held
        in memory at once."""
        after = 0
        while True:
            with self._db.session() as s:
                query = self._reclassify_query(since, until, feed, ArticleRow.id, ArticleRow.title)
                rows = s.execute(
                    query.add_columns(ArticleRow.text)
                    .where(ArticleRow.id > after)
                    .order_by(ArticleRow.id)
                    .limit(batch)
                ).all()
            if not rows:
                return
            yield [ArticleText(r[0], r[1], r[2]) for r in rows]
            after = rows[-1][0]

    def with_copies(self, head_ids: Sequence[int]) -> set[int]:
        """Which of these originals head a story with copies (one query for a batch: most
        stories have none, and a replay then reads nothing more of them)."""
        with self._db.session() as s:
            return set(
                s.scalars(
                    select(ArticleRow.duplicate_of_id)
                    .where(ArticleRow.duplicate_of_id.in_(list(head_ids)))
                    .distinct()
                )
            )

    def story_copies(self, head_id: int, *, batch: int = 50) -> Iterator[ArticleText]:
        """The copies of the story `head_id` heads, in the order they were stored, read `batch`
        at a time: a replay looking for the first that matches stops reading there."""
        after = 0
        while True:
            with self._db.session() as s:
                rows = s.execute(
                    select(ArticleRow.id, ArticleRow.title, ArticleRow.text)
                    .where(ArticleRow.duplicate_of_id == head_id, ArticleRow.id > after)
                    .order_by(ArticleRow.id)
                    .limit(batch)
                ).all()
            yield from (ArticleText(r[0], r[1], r[2], head_id) for r in rows)
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def story_voices(self, head_id: int) -> list[ArticleText]:
        """The copies of the story `head_id` heads that hold matches or queued alerts (the
        copy that spoke for the story, usually none): what a replay may have to take back."""
        matched = select(MatchRow.id).where(MatchRow.article_id == ArticleRow.id).exists()
        queued = (
            select(AlertRow.id)
            .where(AlertRow.article_id == ArticleRow.id, AlertRow.status == AlertStatus.PENDING)
            .exists()
        )
        with self._db.session() as s:
            rows = s.execute(
                select(ArticleRow.id, ArticleRow.title, ArticleRow.text)
                .where(ArticleRow.duplicate_of_id == head_id, matched | queued)
                .order_by(ArticleRow.id)
            ).all()
        return [ArticleText(r[0], r[1], r[2], head_id) for r in rows]

    def original_text(self, article_id: int) -> ArticleText | None:
        """An article's words read again (it changed since its batch was read); None when it
        is gone or a copy now, which a backfill leaves alone."""
        with self._db.session() as s:
            row = s.execute(
                select(ArticleRow.id, ArticleRow.title, ArticleRow.text).where(
                    ArticleRow.id == article_id, ArticleRow.duplicate_of_id.is_(None)
                )
            ).first()
        return None if row is None else ArticleText(row[0], row[1], row[2])

    def story_time(self, article_id: int) -> datetime | None:
        """When an article came out, as the age rule reads it (`clusters.story_time`); None
        when it is gone."""
        with self._db.session() as s:
            row = s.execute(
                select(ArticleRow.published_at, ArticleRow.first_seen_at).where(
                    ArticleRow.id == article_id
                )
            ).first()
        return None if row is None else clusters.story_time(row[0], row[1])

    def count_for_reclassify(
        self, since: datetime, until: datetime | None, *, feed: str | None = None
    ) -> int:
        """How many articles `reclassify_batches` yields (for progress)."""
        with self._db.session() as s:
            query = self._reclassify_query(since, until, feed, func.count(ArticleRow.id))
            return int(s.execute(query).scalar() or 0)

    @staticmethod
    def _reclassify_query(
        since: datetime, until: datetime | None, feed: str | None, *columns: Any
    ) -> Select[Any]:
        query = select(*columns).where(
            ArticleRow.first_seen_at >= since, ArticleRow.duplicate_of_id.is_(None)
        )
        if until is not None:
            query = query.where(ArticleRow.first_seen_at < until)
        if feed is not None:
            query = query.where(
                ArticleRow.feed_id.in_(select(FeedRow.id).where(FeedRow.name == feed))
            )
        return query
