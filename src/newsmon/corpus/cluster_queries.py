"""The corpus's answers to dedup's cluster policy (`clusters.ClusterQueries`): candidates by
body hash and by LSH band, their signatures, texts and story times, and whether a cluster has
spoken. Read inside the storing transaction, under its locks (newsmon.corpus.articles). And
`lock_head`: a cluster's lock, on the head it still is; and `story_members`, its articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Float, Select, case, cast, extract, func, select
from sqlalchemy.orm import Session

from newsmon import clusters
from newsmon.aggregated import story_site
from newsmon.corpus.engine import Database
from newsmon.corpus.holds import HoldReason
from newsmon.corpus.schema import AlertRow, ArticleBandRow, ArticleRow, MatchRow


def lock_head(db: Database, s: Session, head_id: int) -> int:
    """Take the cluster lock (`Database.lock_cluster`) of the story `head_id` headed when it
    was read, and return its head now: the same article, unless it became a copy meanwhile.

    Only a page read at last turns a head into a copy (`Articles.recover_page`: a lone
    original that the page shows to be another story's copy), and it does so holding the
    article's own cluster lock. A writer that found `head_id` as a head waits for that lock,
    then reads the article again (a fresh statement: READ COMMITTED on PostgreSQL) and, when it
    has joined another story, locks and answers that story's head instead. So every copy points
    at an article that is a head, never at a copy (no chain), which the cluster queries assume.
    Locks are taken from an article to its head, never the reverse.
    """
    while True:
        db.lock_cluster(s, head_id)
        above = s.scalar(select(ArticleRow.duplicate_of_id).where(ArticleRow.id == head_id))
        if above is None:
            return head_id
        head_id = above


def story_members(head_id: int) -> Select[int]:
    """The ids of a story's articles: its head and the copies pointing at it (never a chain:
    `lock_head`), as a subquery for `... .in_(story_members(head))`."""
    return select(ArticleRow.id).where(
        (ArticleRow.id == head_id) | (ArticleRow.duplicate_of_id == head_id)
    )


class ClusterQueries:
    """The questions of the cluster policy (`clusters.ClusterQueries`), in one session."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def first_with_hash(self, content_hash: str) -> clusters.Candidate | None:
        found = self._s.execute(
            select(ArticleRow.id, ArticleRow.duplicate_of_id)
            .where(ArticleRow.content_hash == content_hash)
            .order_by(ArticleRow.id)
            .limit(1)
        ).first()
        return None if found is None else clusters.Candidate(found[0], found[1])

    def titles_with_hash(self, content_hash: str, limit: int) -> list[clusters.Text]:
        return [
            clusters.Text(clusters.Candidate(cid, head), title, None)
            for cid, head, title in self._s.execute(
                select(ArticleRow.id, ArticleRow.duplicate_of_id, ArticleRow.title)
                .where(ArticleRow.content_hash == content_hash)
                .order_by(ArticleRow.id)
                .limit(limit)
            )
        ]

    def band_candidates(
        self, band_keys: Sequence[int], limit: int, when: datetime | None = None
    ) -> list[int]:
        hits = func.count().label("hits")
        ranked = (
            select(ArticleBandRow.article_id.label("id"), hits)
            .where(ArticleBandRow.band_key.in_(list(band_keys)))
            .group_by(ArticleBandRow.article_id)
        )
        found = self._s.execute(
            ranked.order_by(hits.desc(), ArticleBandRow.article_id).limit(limit + 1)
        ).all()
        if when is None or len(found) <= limit or found[limit - 1].hits > found[limit].hits:
            return [r.id for r in found[:limit]]
        # the cap cuts through candidates sharing as many bands (a site's stories under one
        # standing opening share all their lead bands): those nearest in time go first
        grouped = ranked.subquery()
        a = ArticleRow
        came_out = self._seconds(func.coalesce(a.published_at, a.first_seen_at))
        nearest = (
            select(grouped.c.id)
            .join(a, a.id == grouped.c.id)
            .order_by(grouped.c.hits.desc(), func.abs(came_out - when.timestamp()), grouped.c.id)
        )
        return list(self._s.scalars(nearest.limit(limit)))

    def _seconds(self, moment: ColumnElement[datetime]) -> ColumnElement[float]:
        """A stored time as seconds since 1970 (SQLite keeps UTC text, PostgreSQL timestamptz)."""
        if self._s.get_bind().dialect.name == "sqlite":
            return (func.julianday(moment) - 2440587.5) * 86400.0
        return cast(extract("epoch", moment), Float)

    def signed(self, ids: Sequence[int]) -> list[clusters.Candidate]:
        return [
            clusters.Candidate(cid, head, values, scheme, clusters.story_time(published, seen))
            for cid, head, values, scheme, published, seen in self._s.execute(
                select(
                    ArticleRow.id,
                    ArticleRow.duplicate_of_id,
                    ArticleRow.minhash,
                    ArticleRow.minhash_scheme,
                    ArticleRow.published_at,
                    ArticleRow.first_seen_at,
                ).where(ArticleRow.id.in_(list(ids)))
            )
        ]

    def texts(self, ids: Sequence[int], max_chars: int) -> list[clusters.Text]:
        return [
            clusters.Text(
                clusters.Candidate(cid, head, when=clusters.story_time(out, seen)),
                title,
                body,
                feed_id=feed,
                publisher=publisher,
                site=story_site(url, publisher, site),
            )
            for cid, head, title, body, out, seen, feed, publisher, url, site in self._s.execute(
                select(
                    ArticleRow.id,
                    ArticleRow.duplicate_of_id,
                    ArticleRow.title,
                    ArticleRow.text,
                    ArticleRow.published_at,
                    ArticleRow.first_seen_at,
                    ArticleRow.feed_id,
                    ArticleRow.publisher,
                    ArticleRow.url,
                    ArticleRow.publisher_site,
                ).where(ArticleRow.id.in_(list(ids)), func.length(ArticleRow.text) <= max_chars)
            )
        ]

    def openings(
        self, ids: Sequence[int], whole_chars: int, prefix_chars: int
    ) -> list[clusters.Text]:
        a = ArticleRow
        whole = func.length(a.text) <= whole_chars
        # a long text's opening only: 50 candidates of up to `extract.max_text_chars` each
        # would otherwise be in memory at once
        text_ = case((whole, a.text), else_=func.substr(a.text, 1, prefix_chars))
        rows = self._s.execute(
            select(
                a.id,
                a.duplicate_of_id,
                a.title,
                text_,
                whole,
                a.published_at,
                a.first_seen_at,
                a.feed_id,
                a.publisher,
                a.url,
                a.publisher_site,
            ).where(a.id.in_(list(ids)))
        )
        return [
            clusters.Text(
                clusters.Candidate(cid, head, when=clusters.story_time(published, seen)),
                title,
                body,
                bool(full),
                feed,
                publisher,
                story_site(url, publisher, site),
            )
            for cid, head, title, body, full, published, seen, feed, publisher, url, site in rows
        ]

    def _any_member_in(self, table: type[AlertRow] | type[MatchRow], head_id: int) -> bool:
        """A member's row, not counting a member silenced by `corpus.set_aside`: its link
        opens another story now and its alerts are held back for good (`REPLACED`). A copy
        seen since, under its own link, speaks for the story (before, it was never announced).
        A member with any other alert (sent in one channel, say) still counts."""
        members = story_members(head_id)
        replaced = AlertRow.hold_reason == HoldReason.REPLACED
        query = select(table.id).where(table.article_id.in_(members))
        if table is AlertRow:
            query = query.where(~replaced | AlertRow.hold_reason.is_(None))
        else:
            query = query.where(
                table.article_id.not_in(select(AlertRow.article_id).where(replaced))
            )
        return self._s.scalar(query.limit(1)) is not None

    def cluster_has_alerts(self, head_id: int) -> bool:
        return self._any_member_in(AlertRow, head_id)

    def cluster_has_matches(self, head_id: int) -> bool:
        return self._any_member_in(MatchRow, head_id)
