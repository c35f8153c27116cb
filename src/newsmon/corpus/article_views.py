"""What is read of the articles aggregate: which URLs are known, a story's cluster, the articles
listed or reclassified, an article's matches.

Reads only, each in its own session; storing and changing articles is `Articles`' job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from newsmon.corpus.engine import Database
from newsmon.corpus.records import (
    ArticleText,
    ArticleView,
    ClusterMember,
    ClusterView,
    KnownArticle,
    Sighting,
    StoredMatch,
)
from newsmon.corpus.schema import ArticleRow, FeedRow, MatchRow, SightingRow
from newsmon.corpus.url_keys import Wanted, lookup_keys, stands_for
from newsmon.dedup import LINKLESS_KEY


class ArticleViews:
    """Stored articles as the pipeline and the command line read them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def known_urls(self, canonical_urls: Sequence[str]) -> set[str]:
        return set(self.known_articles(canonical_urls))

    def known_articles(self, canonical_urls: Sequence[str]) -> dict[str, KnownArticle]:
        """The stored articles of these canonical URLs, by the URL asked for (a key too long
        for the column is stored otherwise: `newsmon.corpus.url_keys`). A host's dotted key
        (`newsmon.dotted_hosts`) is asked for only for the URLs found under no other key:
        a known story (every entry of an unchanged feed) costs one key, not two."""
        first = lookup_keys(canonical_urls, dotted=False)
        found = self._found(first, {})
        missing = [key for key in dict.fromkeys(canonical_urls) if key not in found]
        if missing:
            # keys asked for already found nothing for these URLs: not again
            dotted = {k: w for k, w in lookup_keys(missing).items() if k not in first}
            if dotted:
                found = self._found(dotted, found)
        return found

    def _found(
        self, wanted: dict[str, list[Wanted]], found: dict[str, KnownArticle]
    ) -> dict[str, KnownArticle]:
        """`found` with the rows stored under the keys of `wanted`, by the URL asked for."""
        stored = list(wanted)
        with self._db.session() as s:
            for i in range(0, len(stored), 500):
                chunk = stored[i : i + 500]
                for row in s.execute(
                    select(
                        ArticleRow.canonical_url,
                        ArticleRow.id,
                        ArticleRow.feed_id,
                        ArticleRow.url,
                        ArticleRow.entry_fingerprint,
                        ArticleRow.text_source,
                        ArticleRow.long_url,
                        ArticleRow.guid,
                        ArticleRow.published_at,
                        ArticleRow.dated_by,
                    ).where(ArticleRow.canonical_url.in_(chunk))
                ):
                    link = row[6] or row[3]  # the whole link, when `url` holds its start
                    for want in wanted.get(row[0], ()):
                        # a row under the key's own stored form wins over an earlier key's
                        if (want.own or want.asked not in found) and stands_for(want, link):
                            found[want.asked] = KnownArticle(
                                row[1], row[2], link, row[4], row[5], row[7], row[8], row[9]
                            )
        return found

    def linkless_of_feed(
        self, feed_id: int, since: datetime, limit: int = 1000
    ) -> list[KnownArticle]:
        """One feed's dated articles stored without a link (keyed by GUID or text) and first
        seen since `since`, newest first, at most `limit`: an entry whose CMS gives it a new
        GUID every pass is found among them by its date and words (`entry_keys.renamed`)."""
        with self._db.session() as s:
            rows = s.execute(
                select(
                    ArticleRow.id,
                    ArticleRow.feed_id,
                    ArticleRow.url,
                    ArticleRow.entry_fingerprint,
                    ArticleRow.text_source,
                    ArticleRow.guid,
                    ArticleRow.published_at,
                    ArticleRow.dated_by,
                )
                .where(
                    ArticleRow.feed_id == feed_id,
                    ArticleRow.first_seen_at >= since,
                    ArticleRow.canonical_url.startswith(LINKLESS_KEY),
                    ArticleRow.published_at.is_not(None),
                )
                .order_by(ArticleRow.first_seen_at.desc())
                .limit(limit)
            ).all()
        return [KnownArticle(*row) for row in rows]

    def cluster(self, article_id: int) -> ClusterView | None:
        """The cluster an article belongs to, from any of its members."""
        with self._db.session() as s:
            start = s.get(ArticleRow, article_id)
            if start is None:
                return None
            head_id = start.duplicate_of_id or start.id
            rows = s.execute(
                select(ArticleRow, FeedRow.name)
                .outerjoin(FeedRow, FeedRow.id == ArticleRow.feed_id)
                .where((ArticleRow.id == head_id) | (ArticleRow.duplicate_of_id == head_id))
                .order_by(ArticleRow.id)
            ).all()
            members = [
                ClusterMember(
                    a.id, a.title, a.url, feed, a.first_seen_at, a.duplicate_reason, a.similarity
                )
                for a, feed in rows
            ]
            ids = [m.id for m in members]
            sightings = [
                Sighting(r.article_id, r.url, feed, r.seen_at)
                for r, feed in s.execute(
                    select(SightingRow, FeedRow.name)
                    .outerjoin(FeedRow, FeedRow.id == SightingRow.feed_id)
                    .where(SightingRow.article_id.in_(ids))
                    .order_by(SightingRow.id)
                )
            ]
            topics = list(
                s.scalars(
                    select(MatchRow.topic)
                    .where(MatchRow.article_id == head_id)
                    .order_by(MatchRow.topic)
                )
            )
            return ClusterView(members[0], topics, members, sightings)

    def articles_for_reclassify(self, since: datetime, until: datetime | None) -> list[ArticleText]:
        """Originals (not copies) first seen in [since, until)."""
        with self._db.session() as s:
            query = select(ArticleRow.id, ArticleRow.title, ArticleRow.text).where(
                ArticleRow.first_seen_at >= since, ArticleRow.duplicate_of_id.is_(None)
            )
            if until is not None:
                query = query.where(ArticleRow.first_seen_at < until)
            return [ArticleText(r[0], r[1], r[2]) for r in s.execute(query.order_by(ArticleRow.id))]

    def list_articles(
        self, *, topic: str | None = None, since: datetime | None = None, limit: int = 50
    ) -> list[ArticleView]:
        with self._db.session() as s:
            query = (
                select(ArticleRow, FeedRow.name)
                .outerjoin(FeedRow, FeedRow.id == ArticleRow.feed_id)
                .order_by(ArticleRow.first_seen_at.desc(), ArticleRow.id.desc())
            )
            if topic:
                query = query.where(
                    ArticleRow.id.in_(select(MatchRow.article_id).where(MatchRow.topic == topic))
                )
            if since:
                query = query.where(ArticleRow.first_seen_at >= since)
            rows = s.execute(query.limit(limit)).all()
            ids = [r[0].id for r in rows]
            topics: dict[int, list[str]] = {}
            if ids:
                for article_id, name in s.execute(
                    select(MatchRow.article_id, MatchRow.topic)
                    .where(MatchRow.article_id.in_(ids))
                    .order_by(MatchRow.topic)
                ):
                    topics.setdefault(article_id, []).append(name)
            return [
                ArticleView(
                    a.id,
                    a.title,
                    a.url,
                    feed,
                    a.published_at,
                    a.first_seen_at,
                    a.language,
                    a.text_source,
                    a.duplicate_of_id,
                    topics.get(a.id, []),
                    a.text,
                )
                for a, feed in rows
            ]

    def matches_of(self, article_id: int) -> list[StoredMatch]:
        with self._db.session() as s:
            return [
                StoredMatch(m.topic, m.score, list(m.terms), m.snippet)
                for m in s.scalars(
                    select(MatchRow)
                    .where(MatchRow.article_id == article_id)
                    .order_by(MatchRow.topic)
                )
            ]
