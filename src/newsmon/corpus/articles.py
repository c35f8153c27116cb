"""The articles aggregate: articles, their clusters and sightings, their topic matches.

Storing an article, its matches and its alerts is one transaction; the cluster it joins is
decided in that transaction by dedup's policy (newsmon.clusters), which this module serves with
queries and protects with locks, so two copies stored at once never both become originals.
What is only read of articles is `ArticleViews`' (newsmon.corpus.article_views).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import cast

from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from newsmon import clusters
from newsmon.clock import utcnow
from newsmon.corpus.cluster_queries import ClusterQueries, lock_head
from newsmon.corpus.edits import Edited, announce_edit, learn_date, revive_age_holds, set_body
from newsmon.corpus.engine import Database
from newsmon.corpus.holds import Hold
from newsmon.corpus.match_rows import match_rows
from newsmon.corpus.outbox import (
    alert_rows,
    announced_in,
    hold_back_late_copies,
    withdraw_unmatched,
)
from newsmon.corpus.records import (
    AlertStatus,
    ArticleText,
    ClusterMatch,
    DuplicateReason,
    DuplicateURLError,
    NewArticle,
    NewSighting,
    RecoveredPage,
    RowRefusedError,
    StoredArticle,
    StoredMatch,
    TopicChanges,
)
from newsmon.corpus.replies import insert_replies, reply_rows
from newsmon.corpus.reply_sources import copy_replies, earlier_replies
from newsmon.corpus.schema import (
    MAX_URL,
    ArticleBandRow,
    ArticleRow,
    MatchRow,
    SightingRow,
)
from newsmon.corpus.url_keys import stored_key
from newsmon.dedup import Signature, earlier_keys, headline_keys, index_keys
from newsmon.urls import clean_url


def stored_keys(
    title: str | None, text_: str, minhash: bytes | None, scheme: str | None
) -> list[int]:
    """The keys an article was indexed under, from what is stored of it (one stored before
    invisible characters were folded or headline labels read: its keys of then too)."""
    signature = Signature(scheme, minhash) if minhash is not None and scheme else None
    return index_keys(title, text_, signature) + earlier_keys(title, text_)


class Articles:
    """Stored articles, clusters, sightings and matches."""

    def __init__(self, db: Database) -> None:
        self._db = db
        # Serialises this process's writers of articles; see `_lock_story` for other processes.
        self._write_lock = threading.Lock()

    # --- storing ------------------------------------------------------------------------------

    def add_article(
        self,
        article: NewArticle,
        matches: Sequence[StoredMatch] = (),
        rules_version: str = "",
        alerts: Mapping[str, Sequence[str]] | None = None,
        alert_status: AlertStatus = AlertStatus.PENDING,
        alert_hold: Hold | None = None,
    ) -> StoredArticle:
        """Store an article with its matches and queued alerts in one transaction.

        A crash can then never leave a stored (hence never re-fetched) article without its
        matches or alerts. Duplicate detection (exact body hash, then MinHash near-duplicates
        through the band index) shares the transaction and a lock, so two copies of a story
        stored at once cannot both become originals. A duplicate joins the cluster of the
        first-seen article and raises no alert: the cluster speaks once, through its head (or,
        when no earlier member matched a topic, through the first copy that does).
        """
        # a summary-length item is also indexed by its body without the headline
        keys = index_keys(article.title, article.text, article.signature)
        with self._write_lock, self._db.session() as s:
            self._lock_story(s, article.content_hash, keys)
            queries = ClusterQueries(s)
            seen = utcnow()
            when = clusters.story_time(article.published_at, seen)
            cluster = clusters.find_cluster(queries, article, when)
            if cluster is not None:  # whether it speaks is the cluster's question
                head = lock_head(self._db, s, cluster.head_id)
                cluster = replace(cluster, head_id=head)
            row = ArticleRow(
                canonical_url=stored_key(article.canonical_url),
                url=article.url,
                long_url=article.url if len(article.url) > MAX_URL else None,
                feed_id=article.feed_id,
                guid=article.guid,
                title=article.title,
                text=article.text,
                text_source=article.text_source,
                extraction_note=article.extraction_note,
                language=article.language,
                author=article.author,
                publisher=article.publisher,
                publisher_site=article.publisher_site,
                published_at=article.published_at,
                content_hash=article.content_hash,
                duplicate_of_id=cluster.head_id if cluster else None,
                duplicate_reason=cluster.reason if cluster else None,
                similarity=cluster.similarity if cluster else None,
                minhash=article.signature.values if article.signature else None,
                minhash_scheme=article.signature.scheme if article.signature else None,
                entry_fingerprint=article.entry_fingerprint,
                page_retry_at=article.page_retry_at,
                page_attempts=1 if article.page_failed or article.page_read else 0,
                page_textless=article.page_textless,
                dated_by=article.dated_by,
                first_seen_at=seen,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise DuplicateURLError(article.canonical_url) from None
            except DataError as exc:  # values the column types did not bound (a bug)
                raise RowRefusedError(str(exc.orig or exc).splitlines()[0][:300]) from None
            self._add_bands(s, row, keys)
            queued, new_alerts = 0, []
            if clusters.may_speak(queries, cluster, bool(matches)):
                s.add_all(match_rows(row.id, matches, rules_version))
                new_alerts = alert_rows(row.id, alerts or {}, alert_status, alert_hold)
                s.add_all(new_alerts)
                queued = len(new_alerts) if alert_status == AlertStatus.PENDING else 0
            if cluster is not None:  # another source's copy: "also reported by" in its thread
                s.flush()
                copy_replies(s, self._db.is_postgres, row, speaks=bool(new_alerts))
            return StoredArticle(
                row.id,
                row.duplicate_of_id,
                queued,
                row.duplicate_reason,
                row.similarity,
            )

    def _lock_story(self, s: Session, content_hash: str | None, keys: Sequence[int]) -> None:
        """Serialise the writers of one story across processes, before anything is read.

        On PostgreSQL: transaction-level advisory locks on the body hash and on every LSH band
        key, taken in sorted order (no deadlock). Two near-duplicates are only found by a
        shared band, so a second worker storing a copy of the same story waits on that band's
        lock until the first commits, then sees its rows (READ COMMITTED takes a fresh snapshot
        per statement). Unrelated stories share no band and proceed in parallel, which a table
        lock would not allow. On SQLite: the database's write lock, taken now (`BEGIN
        IMMEDIATE`): pysqlite would take it only at the first INSERT, after the cluster was
        decided, and another process could store a copy in between. In-process threads are
        serialised by `_write_lock` as well.
        """
        if not self._db.is_postgres:
            self._db.lock_writes(s)
            return
        if content_hash:
            s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:h))"), {"h": content_hash})
        for key in sorted(set(keys)):
            s.execute(text("SELECT pg_advisory_xact_lock(CAST(:k AS BIGINT))"), {"k": key})

    @staticmethod
    def _hold_article(s: Session, article_id: int) -> ArticleRow | None:
        """The stored article that this transaction is about to rewrite (an edit, a page read
        at last), its row locked first on PostgreSQL (`FOR NO KEY UPDATE`, which a copy
        pointing at it does not wait for), before any of its band rows: a prune of the index
        locks the article before its band rows too (and skips it while held), so the two
        never hold one each and wait for the other (a deadlock). SQLite holds the database's
        write lock already (`_lock_story`)."""
        return s.get(
            ArticleRow, article_id, with_for_update={"key_share": True}, populate_existing=True
        )

    def _lock_cluster(self, s: Session, head_id: int) -> None:
        """Serialise the writers that join one cluster (or give it its text) before they ask
        whether it has spoken (`Database.lock_cluster`). The story locks are not enough for
        that question: two copies of a story are found through bands each shares with the
        story, not necessarily with each other, so two workers can hold disjoint band locks
        and both see a silent cluster, and both speak for it (two alerts)."""
        self._db.lock_cluster(s, head_id)

    def find_cluster(self, article: NewArticle) -> ClusterMatch | None:
        """The dedup decision alone, storing nothing (no lock taken): the cluster it would join."""
        when = clusters.story_time(article.published_at, utcnow())
        with self._db.session() as s:
            return clusters.find_cluster(ClusterQueries(s), article, when)

    def update_article(
        self,
        article_id: int,
        changed: NewArticle,
        matches: Sequence[StoredMatch] = (),
        rules_version: str = "",
        *,
        keep_body: bool = False,
        alerts: Mapping[str, Sequence[str]] | None = None,
        alert_status: AlertStatus = AlertStatus.PENDING,
        alert_hold: Hold | None = None,
    ) -> Edited:
        """The publisher edited a stored article (same URL): update it in place.

        Title, body, hash, signature and its bands follow the new version; the article keeps
        its identity and its cluster, a head's matches follow the new text, and its `alerts`
        are queued in the channels the story has had none in (`edits.announce_edit`: a
        silent story the edit gave a topic). `keep_body` updates the title only (the page
        could not be read this time).
        """
        new_keys = index_keys(changed.title, changed.text, changed.signature)
        with self._write_lock, self._db.session() as s:
            self._lock_story(s, changed.content_hash, new_keys)
            row = self._hold_article(s, article_id)
            if row is None:
                return Edited(False)
            if keep_body:
                edited = row.title != changed.title
                row.entry_fingerprint = changed.entry_fingerprint
                if edited:
                    # the headline decides what a short item's body is
                    self._reindex_short_body(s, row, changed.title, row.text)
                    row.title, row.updated_at = changed.title, utcnow()
                return Edited(edited)
            edited = (row.title, row.text) != (changed.title, changed.text)
            row.entry_fingerprint = changed.entry_fingerprint
            if not edited:
                return Edited(False)
            self._drop_bands(s, row)
            row.title = changed.title
            set_body(row, changed)
            self._add_bands(s, row, new_keys, reindex=True)
            if row.duplicate_of_id is None:
                s.execute(delete(MatchRow).where(MatchRow.article_id == row.id))
                s.flush()
                s.add_all(match_rows(row.id, matches, rules_version))
                s.flush()
                news = announce_edit(
                    self._db, s, row, changed, alerts or {}, alert_status, alert_hold
                )
                return Edited(True, news)
            return Edited(True)

    @staticmethod
    def _reindex_short_body(
        s: Session, row: ArticleRow, title: str | None, text_: str | None
    ) -> None:
        """Replace the band rows of a short item's body (none for other articles), of its
        lead and of a one-line item by those of its new headline and text (the headline
        decides where the body starts); an exact copy has no band rows of its own."""
        old = headline_keys(row.title, row.text) + earlier_keys(row.title, row.text)
        if old:
            s.execute(
                delete(ArticleBandRow).where(
                    ArticleBandRow.article_id == row.id, ArticleBandRow.band_key.in_(old)
                )
            )
        Articles._add_bands(s, row, headline_keys(title, text_), reindex=True)

    def recover_page(
        self,
        article_id: int,
        teaser: str,
        changed: NewArticle,
        matches: Sequence[StoredMatch] = (),
        rules_version: str = "",
        alerts: Mapping[str, Sequence[str]] | None = None,
        alert_status: AlertStatus = AlertStatus.PENDING,
        alert_hold: Hold | None = None,
    ) -> RecoveredPage:
        """The page of an article stored from its teaser was read at last: its text replaces the
        teaser, in one transaction with the cluster, matches and alerts that follow from it.

        A lone original whose article turns out to be another story's copy joins that story
        (the teaser hid it). Whoever speaks for the story (its head, or the copy that spoke for
        a silent cluster) gets the new matches, and alerts for the channels no member of the
        cluster has had yet: what the teaser hid is announced, what was announced is not again.
        Headline and entry fingerprint stay as stored; so does the date, unless only first seen
        and the page states one (`learn_date`). `teaser` is the text the retry was planned from:
        if an edit has replaced it meanwhile by another text, only the try counts (an edit in
        the same pass that stored this very article does not stop its announcement).
        """
        keys = index_keys(changed.title, changed.text, changed.signature)
        with self._write_lock, self._db.session() as s:
            self._lock_story(s, changed.content_hash, keys)
            row = self._hold_article(s, article_id)
            if row is None:
                return RecoveredPage(False)
            row.page_retry_at, row.page_attempts = None, row.page_attempts + 1
            if row.text not in (teaser, changed.text):
                return RecoveredPage(False, 0, row.duplicate_of_id)
            queries, joined = ClusterQueries(s), False
            self._drop_bands(s, row)
            dated = learn_date(row, changed)
            s.flush()
            if row.duplicate_of_id is None:
                # A copy being stored now that found this article a head waits for this lock,
                # then finds it a copy and joins its head (`lock_head`); one that got the lock
                # first is counted here, and this article stays the head of its copies.
                self._lock_cluster(s, row.id)
            if row.duplicate_of_id is None and not self._has_copies(s, row.id):
                when = clusters.story_time(row.published_at, row.first_seen_at)
                cluster = clusters.find_cluster(queries, changed, when)
                if cluster is not None and cluster.head_id != row.id:
                    head = lock_head(self._db, s, cluster.head_id)
                    if head != row.id:
                        row.duplicate_of_id = head
                        row.duplicate_reason, row.similarity = cluster.reason, cluster.similarity
                        joined = True
            set_body(row, changed)
            row.language = changed.language
            self._add_bands(s, row, keys, reindex=True)
            s.flush()
            if joined:  # another source's copy after all: "also reported by" in its thread
                rows = reply_rows(s, row.id, row.feed_id, row.url)
                insert_replies(s, self._db.is_postgres, rows)
            head_id = lock_head(self._db, s, row.duplicate_of_id or row.id)
            if joined:  # its teaser's alert, still waiting, would be the story's second post
                hold_back_late_copies(s, head_id)
                s.flush()
            spoke = s.scalar(select(MatchRow.id).where(MatchRow.article_id == row.id).limit(1))
            speaks = row.duplicate_of_id is None or spoke is not None
            if not speaks and not (matches and not clusters.cluster_spoke(queries, head_id)):
                return RecoveredPage(True, 0, row.duplicate_of_id, joined)
            s.execute(delete(MatchRow).where(MatchRow.article_id == row.id))
            s.flush()
            s.add_all(match_rows(row.id, matches, rules_version))
            revived = 0
            if dated and alert_status == AlertStatus.PENDING:  # its page shows it recent
                revived = revive_age_holds(s, row.id, head_id, alerts or {})
            fresh = {ch: t for ch, t in (alerts or {}).items() if not announced_in(s, head_id, ch)}
            new_alerts = alert_rows(row.id, fresh, alert_status, alert_hold)
            s.add_all(new_alerts)
            if (
                new_alerts or revived
            ):  # the sources that carried the story before: named in its thread
                s.flush()
                earlier_replies(s, self._db.is_postgres, head_id)
            queued = len(new_alerts) + revived if alert_status == AlertStatus.PENDING else 0
            return RecoveredPage(True, queued, row.duplicate_of_id, joined)

    @staticmethod
    def _has_copies(s: Session, head_id: int) -> bool:
        query = select(ArticleRow.id).where(ArticleRow.duplicate_of_id == head_id).limit(1)
        return s.scalar(query) is not None

    @staticmethod
    def _add_bands(
        s: Session, row: ArticleRow, keys: Sequence[int], *, reindex: bool = False
    ) -> None:
        """Index an article under these band keys; an exact copy's bands are its head's, so it
        has none of its own. `reindex` (an edit, a page read at last): the article may have
        left the index (`IndexRetention`) and is in it again. That is one explicit UPDATE, not
        an attribute: the ORM writes only values it saw change, and a retention pass may have
        marked the row since it was read."""
        if keys and row.duplicate_reason != DuplicateReason.HASH:
            s.execute(
                insert(ArticleBandRow),
                [{"band_key": k, "article_id": row.id} for k in dict.fromkeys(keys)],
            )
            if reindex:
                s.execute(
                    update(ArticleRow)
                    .where(ArticleRow.id == row.id)
                    .values(bands_dropped_at=None)
                    .execution_options(synchronize_session=False)
                )

    @staticmethod
    def _drop_bands(s: Session, row: ArticleRow) -> None:
        """Remove an article's rows from the near-duplicate index (its body's MinHash bands and
        a short item's body keys), before its body changes."""
        old = stored_keys(row.title, row.text, row.minhash, row.minhash_scheme)
        if old:
            s.execute(
                delete(ArticleBandRow).where(
                    ArticleBandRow.article_id == row.id, ArticleBandRow.band_key.in_(old)
                )
            )

    def record_sightings(self, feed_id: int | None, sightings: Sequence[NewSighting]) -> int:
        """Remember URLs a feed carried for stored articles; returns how many were new.

        A sighting already stored is skipped by a read (no write, so no write lock on SQLite,
        for the links a feed lists pass after pass). Another worker (a pass, a backfill of the
        same feed) may store the same sighting between that read and the insert: the insert
        then does nothing (`ON CONFLICT DO NOTHING` on the unique key) instead of failing the
        whole batch. Sightings without a feed (`backfill --urls` without `--feed`) are not
        covered by the unique key (NULLs differ), so two such backfills at once may record one
        link twice: a repeated line in `newsmon articles --cluster`, nothing else.
        """
        added = 0
        insert_new = (pg_insert if self._db.is_postgres else sqlite_insert)(
            cast(Table, SightingRow.__table__)
        ).on_conflict_do_nothing()
        with self._db.session() as s:
            for sighting in sightings:
                url = clean_url(sighting.url)[:MAX_URL]
                exists = s.scalar(
                    select(SightingRow.id).where(
                        SightingRow.article_id == sighting.article_id,
                        SightingRow.feed_id.is_(None)
                        if feed_id is None
                        else SightingRow.feed_id == feed_id,
                        SightingRow.url == url,
                    )
                )
                if exists is None:
                    row = insert_new.values(
                        article_id=sighting.article_id, feed_id=feed_id, url=url, seen_at=utcnow()
                    )
                    added += s.execute(row.returning(SightingRow.id)).first() is not None
        return added

    # --- matches ------------------------------------------------------------------------------

    def replace_matches(
        self,
        article_id: int,
        matches: Sequence[StoredMatch],
        rules_version: str,
        *,
        read: ArticleText | None = None,
        only: Collection[str] | None = None,
        alerted: Collection[str] = (),
    ) -> TopicChanges:
        """Make the stored matches equal to `matches`; returns the topics added and removed.
        With `read`, the words `matches` came from: `stale`, nothing written, when the article
        has other words or another head now (a page read at last or an edit rewrote it, or
        made it a copy, meanwhile).
        With `only`, just those topics' matches are replaced: the others stay as they are
        stored when this transaction holds the article (another backfill, limited to another
        topic, may have written them since the caller looked).

        The article's alerts still queued (`pending`, not yet claimed by a delivery) follow, in
        the same transaction: a topic no longer matched leaves them, and one left with no topic
        is held back (`skipped`, which a later `backfill --alerts` may revive), so a rule change
        applied by a backfill never announces what the rules no longer match. `alerted`: the
        topics the article's story still matches through another of its articles, which its
        queued alerts keep too (the story's alert, queued for a copy, stays when the rules
        now match its head instead). Idempotent: a backfill run again after an interruption
        finishes the job.

        The article is held first (the write lock on SQLite, its row on PostgreSQL), as an
        edit or a page read at last holds it: two writers of one article's matches (two
        backfills, a backfill and an edit) take turns instead of both inserting a topic that
        neither found stored, which failed the second on the unique key.
        """
        with self._db.session() as s:
            self._db.lock_writes(s)
            held = self._hold_article(s, article_id)
            if held is None:
                return TopicChanges(set(), set())
            if read and (held.title, held.text, held.duplicate_of_id) != read.words:
                return TopicChanges(set(), set(), stale=True)
            current = {
                m.topic: m
                for m in s.scalars(select(MatchRow).where(MatchRow.article_id == article_id))
            }
            wanted = {m.topic: m for m in matches}
            kept = set() if only is None else {t for t in current if t not in only}
            gone = set(current) - set(wanted) - kept
            for topic in gone:
                s.delete(current[topic])
            for topic, m in wanted.items():
                row = current.get(topic)
                if row is None:
                    s.add_all(match_rows(article_id, [m], rules_version))
                else:
                    row.score, row.terms, row.snippet = m.score, m.terms, m.snippet
                    row.rules_version = rules_version
            withdrawn = withdraw_unmatched(s, article_id, set(wanted) | kept | set(alerted))
            return TopicChanges(set(wanted) - set(current), gone, withdrawn)
