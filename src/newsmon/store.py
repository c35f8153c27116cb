"""The corpus: the one module that talks to the database (SQLite by default, PostgreSQL in prod).

The corpus is the source of truth: what was seen, what it duplicates, what matched and why,
and which alerts were sent. Alerts are written here before Slack sees them (an outbox).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from newsmon.dedup import (
    Signature,
    band_keys,
    clean_url,
    is_near_duplicate,
    jaccard_estimate,
)

MAX_URL = 2000
ALERT_PENDING, ALERT_SENT, ALERT_FAILED, ALERT_SKIPPED = "pending", "sent", "failed", "skipped"
# Why an article joined a cluster: the same normalised body, or a near-identical one.
DUP_HASH, DUP_NEAR = "hash", "near"
# Near-duplicate candidates verified per article at most (those sharing the most LSH bands).
MAX_CANDIDATES = 50
# After this many refusals an alert is parked as failed: a poison message must not block others.
MAX_ALERT_ATTEMPTS = 5


class StoreError(Exception):
    """The database is unusable: the message is one readable line without credentials."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class FeedRow(Base):
    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(MAX_URL))
    language: Mapped[str | None] = mapped_column(String(8))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    entries_seen: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the configuration says; `url` differs after a permanent redirect.
    config_url: Mapped[str | None] = mapped_column(String(MAX_URL))
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    schedule_note: Mapped[str | None] = mapped_column(Text)
    failure_kind: Mapped[str | None] = mapped_column(String(8))
    last_status: Mapped[int | None] = mapped_column(Integer)


class ArticleRow(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(MAX_URL), unique=True)
    url: Mapped[str] = mapped_column(String(MAX_URL))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id"))
    guid: Mapped[str | None] = mapped_column(String(1000))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    text_source: Mapped[str] = mapped_column(String(20))
    extraction_note: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    author: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # The cluster's first-seen article (always a cluster head, never a copy); None for a head.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    duplicate_reason: Mapped[str | None] = mapped_column(String(8))  # DUP_HASH or DUP_NEAR
    similarity: Mapped[float | None] = mapped_column(Float)  # estimated Jaccard to the head
    # MinHash of the body (NUM_PERM uint32, little-endian) and the scheme that made it.
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    minhash_scheme: Mapped[str | None] = mapped_column(String(64))
    # Hash of the feed entry's title and summary: a change means the publisher edited it.
    entry_fingerprint: Mapped[str | None] = mapped_column(String(64))


class ArticleBandRow(Base):
    """The near-duplicate index: one row per LSH band of an article's MinHash.

    The primary key (band_key, article_id) is the lookup index; on SQLite the table is
    WITHOUT ROWID, so that index is the whole table.
    """

    __tablename__ = "article_bands"
    __table_args__ = ({"sqlite_with_rowid": False},)
    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )


class SightingRow(Base):
    """A feed entry that carried a stored article under a URL already known (tracking or AMP
    variant, or another feed linking the same page): the cluster remembers it."""

    __tablename__ = "article_sightings"
    __table_args__ = (
        UniqueConstraint("article_id", "feed_id", "url", name="uq_sightings_article_feed_url"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id"))
    url: Mapped[str] = mapped_column(String(MAX_URL))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchRow(Base):
    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("article_id", "topic", name="uq_matches_article_topic"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[int] = mapped_column(Integer)
    terms: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    snippet: Mapped[str] = mapped_column(Text)
    rules_version: Mapped[str] = mapped_column(String(32))
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("article_id", "channel", name="uq_alerts_article_channel"),
        Index("ix_alerts_status", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    topics: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=ALERT_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    destination: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


@dataclass(frozen=True)
class NewArticle:
    canonical_url: str
    url: str
    feed_id: int | None
    guid: str | None
    title: str | None
    text: str
    text_source: str
    extraction_note: str | None
    language: str | None
    author: str | None
    published_at: datetime | None
    content_hash: str | None
    signature: Signature | None = None
    entry_fingerprint: str | None = None


@dataclass(frozen=True)
class FeedState:
    id: int
    url: str
    etag: str | None
    last_modified: str | None
    next_check_at: datetime | None
    failures: int


@dataclass(frozen=True)
class StoredArticle:
    id: int
    duplicate_of: int | None
    alerts_queued: int
    duplicate_reason: str | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class KnownArticle:
    """What the pipeline needs to know about an already stored URL."""

    id: int
    feed_id: int | None
    url: str
    entry_fingerprint: str | None
    text_source: str = "page"


@dataclass(frozen=True)
class ClusterMember:
    id: int
    title: str | None
    url: str
    feed: str | None
    first_seen_at: datetime
    duplicate_reason: str | None
    similarity: float | None


@dataclass(frozen=True)
class Sighting:
    article_id: int
    url: str
    feed: str | None
    seen_at: datetime


@dataclass(frozen=True)
class ClusterView:
    """A story: its first-seen article, every stored copy, and every other URL that carried it."""

    head: ClusterMember
    topics: list[str]
    members: list[ClusterMember]  # the head first, then copies in the order first seen
    sightings: list[Sighting]

    @property
    def sources(self) -> list[str]:
        names = [m.feed for m in self.members] + [s.feed for s in self.sightings]
        return list(dict.fromkeys(n for n in names if n))


@dataclass(frozen=True)
class StoredMatch:
    topic: str
    score: int
    terms: list[dict[str, Any]]
    snippet: str


@dataclass(frozen=True)
class AlertJob:
    """An alert ready to send, with everything the message needs."""

    id: int
    article_id: int
    channel: str
    topics: list[str]
    attempts: int
    title: str | None
    url: str
    source: str | None
    published_at: datetime | None
    matches: list[StoredMatch]


@dataclass(frozen=True)
class ArticleView:
    id: int
    title: str | None
    url: str
    feed: str | None
    published_at: datetime | None
    first_seen_at: datetime
    language: str | None
    text_source: str
    duplicate_of_id: int | None
    topics: list[str]
    text: str = ""


@dataclass(frozen=True)
class FeedHealth:
    name: str
    url: str
    last_checked_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    entries_seen: int
    articles: int
    config_url: str | None = None
    next_check_at: datetime | None = None
    schedule_note: str | None = None
    failure_kind: str | None = None
    last_status: int | None = None


def redact_url(url: str) -> str:
    """A database URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable database URL)"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"database_url is not a valid URL: {redact_url(url)}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for {database}: {exc.strerror}"
                ) from None
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (ImportError, ArgumentError) as exc:
        raise StoreError(f"cannot use {redact_url(url)}: {exc}") from None


class Store:
    """Storage per aggregate: feeds, articles (+ matches), alerts, runs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_lock = threading.Lock()
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect and bring the schema up to date; StoreError when that is impossible."""
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            if migrate:
                from newsmon.migrations import upgrade

                upgrade(engine)
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"database {redact_url(url)} is unusable: {reason}") from None
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"database {redact_url(url)}: {type(exc).__name__}: {exc}") from None
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # --- feeds -----------------------------------------------------------------------------

    def sync_feed(self, name: str, url: str, language: str | None) -> FeedState:
        """The stored state of a configured feed, created on first sight.

        `url` in the state is where to fetch: the configured URL, or where a permanent
        redirect moved it, until the configuration itself changes.
        """
        return self.sync_feeds([(name, url, language)])[name]

    def sync_feeds(self, feeds: Sequence[tuple[str, str, str | None]]) -> dict[str, FeedState]:
        """`sync_feed` for many feeds (name, url, language) in one transaction."""
        names = [name for name, _, _ in feeds]
        out: dict[str, FeedState] = {}
        with self.session() as s:
            rows = {
                r.name: r
                for i in range(0, len(names), 500)
                for r in s.scalars(select(FeedRow).where(FeedRow.name.in_(names[i : i + 500])))
            }
            for name, url, language in feeds:
                row = rows.get(name)
                if row is None:
                    row = rows[name] = FeedRow(name=name, url=url, config_url=url)
                    s.add(row)
                elif row.config_url != url:  # the operator changed the URL: start afresh
                    row.url, row.config_url, row.etag, row.last_modified = url, url, None, None
                    row.next_check_at, row.consecutive_failures = None, 0
                if row.language != language:
                    row.language = language
            s.flush()
            for name, _, _ in feeds:
                row = rows[name]
                out[name] = FeedState(
                    row.id,
                    row.url,
                    row.etag,
                    row.last_modified,
                    row.next_check_at,
                    row.consecutive_failures,
                )
        return out

    def record_feed_success(
        self,
        feed_id: int,
        *,
        entries: int,
        etag: str | None,
        last_modified: str | None,
        next_check_at: datetime | None = None,
        schedule_note: str | None = None,
        status: int | None = 200,
        moved_to: str | None = None,
    ) -> None:
        now = utcnow()
        values: dict[str, Any] = {
            "last_checked_at": now,
            "last_success_at": now,
            "consecutive_failures": 0,
            "failure_kind": None,
            "entries_seen": FeedRow.entries_seen + entries,
            "etag": etag,
            "last_modified": last_modified,
            "next_check_at": next_check_at,
            "schedule_note": schedule_note,
            "last_status": status,
        }
        if moved_to:
            values["url"] = moved_to
        with self.session() as s:
            s.execute(update(FeedRow).where(FeedRow.id == feed_id).values(**values))

    def record_feed_failure(
        self,
        feed_id: int,
        error: str,
        *,
        kind: str = "soft",
        status: int | None = None,
        next_check_at: datetime | None = None,
        schedule_note: str | None = None,
    ) -> None:
        now = utcnow()
        with self.session() as s:
            s.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id)
                .values(
                    last_checked_at=now,
                    last_error=error[:2000],
                    last_error_at=now,
                    consecutive_failures=FeedRow.consecutive_failures + 1,
                    failure_kind=kind,
                    last_status=status,
                    next_check_at=next_check_at,
                    schedule_note=schedule_note,
                )
            )

    def feed_health(self) -> list[FeedHealth]:
        with self.session() as s:
            counts = dict(
                s.execute(
                    select(ArticleRow.feed_id, func.count()).group_by(ArticleRow.feed_id)
                ).all()
            )
            rows = s.scalars(select(FeedRow).order_by(FeedRow.name)).all()
            return [
                FeedHealth(
                    r.name,
                    r.url,
                    r.last_checked_at,
                    r.last_success_at,
                    r.last_error,
                    r.last_error_at,
                    r.consecutive_failures,
                    r.entries_seen,
                    counts.get(r.id, 0),
                    r.config_url,
                    r.next_check_at,
                    r.schedule_note,
                    r.failure_kind,
                    r.last_status,
                )
                for r in rows
            ]

    # --- articles ---------------------------------------------------------------------------

    def known_urls(self, canonical_urls: Sequence[str]) -> set[str]:
        found: set[str] = set()
        with self.session() as s:
            for i in range(0, len(canonical_urls), 500):
                chunk = list(canonical_urls[i : i + 500])
                found.update(
                    s.scalars(
                        select(ArticleRow.canonical_url).where(ArticleRow.canonical_url.in_(chunk))
                    )
                )
        return found

    def add_article(
        self,
        article: NewArticle,
        matches: Sequence[StoredMatch] = (),
        rules_version: str = "",
        alerts: Mapping[str, Sequence[str]] | None = None,
        alert_status: str = ALERT_PENDING,
        alert_note: str | None = None,
    ) -> StoredArticle:
        """Store an article with its matches and queued alerts in one transaction.

        A crash can then never leave a stored (hence never re-fetched) article without its
        matches or alerts. Duplicate detection (exact body hash, then MinHash near-duplicates
        through the band index) shares the transaction and a lock, so two copies of a story
        stored at once cannot both become originals. A duplicate joins the cluster of the
        first-seen article and raises no alert: the cluster speaks once, through its head (or,
        when no earlier member matched a topic, through the first copy that does).
        """
        keys = article.signature.band_keys() if article.signature else []
        with self._write_lock, self.session() as s:
            self._lock_story(s, article.content_hash, keys)
            head_id, reason, similarity = self._find_cluster(s, article)
            row = ArticleRow(
                canonical_url=article.canonical_url,
                url=article.url,
                feed_id=article.feed_id,
                guid=article.guid,
                title=article.title,
                text=article.text,
                text_source=article.text_source,
                extraction_note=article.extraction_note,
                language=article.language,
                author=article.author[:500] if article.author else None,
                published_at=article.published_at,
                content_hash=article.content_hash,
                duplicate_of_id=head_id,
                duplicate_reason=reason,
                similarity=similarity,
                minhash=article.signature.values if article.signature else None,
                minhash_scheme=article.signature.scheme if article.signature else None,
                entry_fingerprint=article.entry_fingerprint,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise DuplicateURLError(article.canonical_url) from None
            # An exact copy's bands are its head's: indexing them again adds nothing.
            if keys and reason != DUP_HASH:
                s.execute(
                    insert(ArticleBandRow),
                    [{"band_key": k, "article_id": row.id} for k in dict.fromkeys(keys)],
                )
            queued = 0
            if head_id is None or (matches and not self._cluster_spoke(s, head_id)):
                s.add_all(_match_rows(row.id, matches, rules_version))
                for channel, topics in (alerts or {}).items():
                    s.add(
                        AlertRow(
                            article_id=row.id,
                            channel=channel,
                            topics=sorted(topics),
                            status=alert_status,
                            last_error=alert_note,
                        )
                    )
                    queued += alert_status == ALERT_PENDING
            return StoredArticle(row.id, head_id, queued, reason, similarity)

    @staticmethod
    def _cluster_spoke(s: Session, head_id: int) -> bool:
        """Whether any member of the cluster has matches or alerts (of any status).

        A cluster speaks once: normally through its first-seen article. When that one matched
        no topic (a teaser, a headline without the key terms), the first copy that matches
        speaks instead; every later copy stays silent.
        """
        members = select(ArticleRow.id).where(
            (ArticleRow.id == head_id) | (ArticleRow.duplicate_of_id == head_id)
        )
        for table in (AlertRow, MatchRow):
            found = s.scalar(select(table.id).where(table.article_id.in_(members)).limit(1))
            if found is not None:
                return True
        return False

    def _lock_story(self, s: Session, content_hash: str | None, keys: Sequence[int]) -> None:
        """On PostgreSQL, serialise the writers of one story across processes.

        Transaction-level advisory locks on the body hash and on every LSH band key, taken in
        sorted order (no deadlock). Two near-duplicates are only found by a shared band, so a
        second worker storing a copy of the same story waits on that band's lock until the
        first commits, then sees its rows (READ COMMITTED takes a fresh snapshot per
        statement). Unrelated stories share no band and proceed in parallel, which a table
        lock would not allow. In-process threads are serialised by `_write_lock`, and SQLite
        serialises writers itself.
        """
        if self.engine.dialect.name != "postgresql":
            return
        if content_hash:
            s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:h))"), {"h": content_hash})
        for key in sorted(set(keys)):
            s.execute(text("SELECT pg_advisory_xact_lock(CAST(:k AS BIGINT))"), {"k": key})

    def find_cluster(self, article: NewArticle) -> tuple[int | None, str | None, float | None]:
        """The dedup decision alone, storing nothing: (head id, reason, similarity)."""
        with self.session() as s:
            return self._find_cluster(s, article)

    def _find_cluster(
        self, s: Session, article: NewArticle
    ) -> tuple[int | None, str | None, float | None]:
        """(head id, reason, similarity) of the cluster this article belongs to, if any."""
        if article.content_hash:
            found = s.execute(
                select(ArticleRow.id, ArticleRow.duplicate_of_id)
                .where(ArticleRow.content_hash == article.content_hash)
                .order_by(ArticleRow.id)
                .limit(1)
            ).first()
            if found is not None:
                return found[1] or found[0], DUP_HASH, 1.0
        if article.signature is None:
            return None, None, None
        best = self._nearest(s, article.signature)
        if best is None or not is_near_duplicate(best[1]):
            return None, None, None
        return best[0], DUP_NEAR, best[1]

    @staticmethod
    def _nearest(s: Session, signature: Signature) -> tuple[int, float] | None:
        """The cluster head most similar to `signature` among articles sharing an LSH band.

        Two index queries whatever the corpus size: the band keys, then the signatures of at
        most MAX_CANDIDATES candidates (those sharing the most bands). Nothing is scanned.
        """
        hits = func.count().label("hits")
        candidates = [
            r[0]
            for r in s.execute(
                select(ArticleBandRow.article_id, hits)
                .where(ArticleBandRow.band_key.in_(list(dict.fromkeys(signature.band_keys()))))
                .group_by(ArticleBandRow.article_id)
                .order_by(hits.desc(), ArticleBandRow.article_id)
                .limit(MAX_CANDIDATES)
            )
        ]
        if not candidates:
            return None
        best: tuple[float, int] | None = None
        for cid, head, values, scheme in s.execute(
            select(
                ArticleRow.id,
                ArticleRow.duplicate_of_id,
                ArticleRow.minhash,
                ArticleRow.minhash_scheme,
            ).where(ArticleRow.id.in_(candidates))
        ):
            if values is None or scheme != signature.scheme:
                continue
            similarity = jaccard_estimate(signature.values, values)
            head_id = head or cid
            # the most similar; among equals, the oldest cluster
            if best is None or (similarity, -head_id) > (best[0], -best[1]):
                best = (similarity, head_id)
        return (best[1], best[0]) if best else None

    def update_article(
        self,
        article_id: int,
        changed: NewArticle,
        matches: Sequence[StoredMatch] = (),
        rules_version: str = "",
        *,
        keep_body: bool = False,
    ) -> bool:
        """The publisher edited a stored article (same URL): update it in place.

        Title, body, hash, signature and its bands follow the new version; the article keeps
        its identity and its cluster, a head's matches follow the new text, and no alert is
        queued (the story was announced already). `keep_body` updates the title only (the
        page could not be read this time). Returns whether the text or title changed.
        """
        new_keys = changed.signature.band_keys() if changed.signature else []
        with self._write_lock, self.session() as s:
            self._lock_story(s, changed.content_hash, new_keys)
            row = s.get(ArticleRow, article_id)
            if row is None:
                return False
            if keep_body:
                edited = row.title != changed.title
                row.entry_fingerprint = changed.entry_fingerprint
                if edited:
                    row.title, row.updated_at = changed.title, utcnow()
                return edited
            edited = (row.title, row.text) != (changed.title, changed.text)
            row.entry_fingerprint = changed.entry_fingerprint
            if not edited:
                return False
            if row.minhash is not None and row.minhash_scheme:
                old = band_keys(Signature(row.minhash_scheme, row.minhash))
                s.execute(
                    delete(ArticleBandRow).where(
                        ArticleBandRow.article_id == row.id, ArticleBandRow.band_key.in_(old)
                    )
                )
            row.title, row.text = changed.title, changed.text
            row.text_source, row.extraction_note = changed.text_source, changed.extraction_note
            row.content_hash = changed.content_hash
            row.minhash = changed.signature.values if changed.signature else None
            row.minhash_scheme = changed.signature.scheme if changed.signature else None
            row.updated_at = utcnow()
            if new_keys and row.duplicate_reason != DUP_HASH:
                s.execute(
                    insert(ArticleBandRow),
                    [{"band_key": k, "article_id": row.id} for k in dict.fromkeys(new_keys)],
                )
            if row.duplicate_of_id is None:
                s.execute(delete(MatchRow).where(MatchRow.article_id == row.id))
                s.flush()
                s.add_all(_match_rows(row.id, matches, rules_version))
            return True

    def known_articles(self, canonical_urls: Sequence[str]) -> dict[str, KnownArticle]:
        found: dict[str, KnownArticle] = {}
        with self.session() as s:
            for i in range(0, len(canonical_urls), 500):
                chunk = list(canonical_urls[i : i + 500])
                for row in s.execute(
                    select(
                        ArticleRow.canonical_url,
                        ArticleRow.id,
                        ArticleRow.feed_id,
                        ArticleRow.url,
                        ArticleRow.entry_fingerprint,
                        ArticleRow.text_source,
                    ).where(ArticleRow.canonical_url.in_(chunk))
                ):
                    found[row[0]] = KnownArticle(row[1], row[2], row[3], row[4], row[5])
        return found

    def record_sightings(self, feed_id: int | None, sightings: Sequence[tuple[int, str]]) -> int:
        """Remember (article id, URL) pairs a feed carried for stored articles; new ones only."""
        added = 0
        with self.session() as s:
            for article_id, url in sightings:
                url = clean_url(url)[:MAX_URL]
                exists = s.scalar(
                    select(SightingRow.id).where(
                        SightingRow.article_id == article_id,
                        SightingRow.feed_id.is_(None)
                        if feed_id is None
                        else SightingRow.feed_id == feed_id,
                        SightingRow.url == url,
                    )
                )
                if exists is None:
                    s.add(SightingRow(article_id=article_id, feed_id=feed_id, url=url))
                    added += 1
        return added

    def cluster(self, article_id: int) -> ClusterView | None:
        """The cluster an article belongs to, from any of its members."""
        with self.session() as s:
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
                    a.id,
                    a.title,
                    a.url,
                    feed,
                    a.first_seen_at,
                    a.duplicate_reason,
                    a.similarity,
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

    def articles_for_reclassify(
        self, since: datetime, until: datetime | None
    ) -> list[tuple[int, str | None, str]]:
        """Originals (not copies) first seen in [since, until): id, title, text."""
        with self.session() as s:
            query = select(ArticleRow.id, ArticleRow.title, ArticleRow.text).where(
                ArticleRow.first_seen_at >= since, ArticleRow.duplicate_of_id.is_(None)
            )
            if until is not None:
                query = query.where(ArticleRow.first_seen_at < until)
            return [(r[0], r[1], r[2]) for r in s.execute(query.order_by(ArticleRow.id))]

    def list_articles(
        self, *, topic: str | None = None, since: datetime | None = None, limit: int = 50
    ) -> list[ArticleView]:
        with self.session() as s:
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

    # --- matches ----------------------------------------------------------------------------

    def matches_of(self, article_id: int) -> list[StoredMatch]:
        with self.session() as s:
            return [
                StoredMatch(m.topic, m.score, list(m.terms), m.snippet)
                for m in s.scalars(
                    select(MatchRow)
                    .where(MatchRow.article_id == article_id)
                    .order_by(MatchRow.topic)
                )
            ]

    def replace_matches(
        self, article_id: int, matches: Sequence[StoredMatch], rules_version: str
    ) -> tuple[set[str], set[str]]:
        """Make the stored matches equal to `matches`; returns (topics added, topics removed)."""
        with self.session() as s:
            current = {
                m.topic: m
                for m in s.scalars(select(MatchRow).where(MatchRow.article_id == article_id))
            }
            wanted = {m.topic: m for m in matches}
            for topic in set(current) - set(wanted):
                s.delete(current[topic])
            for topic, m in wanted.items():
                row = current.get(topic)
                if row is None:
                    s.add_all(_match_rows(article_id, [m], rules_version))
                else:
                    row.score, row.terms, row.snippet = m.score, m.terms, m.snippet
                    row.rules_version = rules_version
            return set(wanted) - set(current), set(current) - set(wanted)

    # --- alerts (the outbox) ----------------------------------------------------------------

    def enqueue_alert(
        self, article_id: int, channel: str, topics: Sequence[str], *, revive_skipped: bool = False
    ) -> bool:
        """Queue an alert unless this article already has one for this channel.

        `revive_skipped` re-queues an alert that was held back (too old, alerts off): an explicit
        backfill with alerts asks for exactly those. Sent or failed alerts are never re-queued.
        """
        with self.session() as s:
            row = s.scalar(
                select(AlertRow).where(
                    AlertRow.article_id == article_id, AlertRow.channel == channel
                )
            )
            if row is not None:
                if revive_skipped and row.status == ALERT_SKIPPED:
                    row.status, row.topics, row.last_error = ALERT_PENDING, sorted(topics), None
                    return True
                return False
            s.add(AlertRow(article_id=article_id, channel=channel, topics=sorted(topics)))
            try:
                s.flush()
            except IntegrityError:  # a concurrent worker queued it first
                return False
            return True

    def alerted_channels(self, article_id: int) -> set[str]:
        with self.session() as s:
            return set(s.scalars(select(AlertRow.channel).where(AlertRow.article_id == article_id)))

    def pending_alerts(self, limit: int) -> list[AlertJob]:
        with self.session() as s:
            rows = s.execute(
                select(AlertRow, ArticleRow, FeedRow.name)
                .join(ArticleRow, ArticleRow.id == AlertRow.article_id)
                .outerjoin(FeedRow, FeedRow.id == ArticleRow.feed_id)
                .where(AlertRow.status == ALERT_PENDING)
                .order_by(AlertRow.id)
                .limit(limit)
            ).all()
            jobs = []
            for alert, article, feed in rows:
                matches = [
                    StoredMatch(m.topic, m.score, list(m.terms), m.snippet)
                    for m in s.scalars(select(MatchRow).where(MatchRow.article_id == article.id))
                    if m.topic in alert.topics
                ]
                jobs.append(
                    AlertJob(
                        alert.id,
                        article.id,
                        alert.channel,
                        list(alert.topics),
                        alert.attempts,
                        article.title,
                        clean_url(article.url),  # tracking parameters stay out of alerts
                        feed,
                        article.published_at,
                        matches,
                    )
                )
            return jobs

    def count_alerts(self, status: str) -> int:
        with self.session() as s:
            return (
                s.scalar(
                    select(func.count()).select_from(AlertRow).where(AlertRow.status == status)
                )
                or 0
            )

    def mark_sent(self, alert_id: int, *, destination: str, slack_ts: str | None) -> None:
        with self.session() as s:
            s.execute(
                update(AlertRow)
                .where(AlertRow.id == alert_id)
                .values(
                    status=ALERT_SENT,
                    sent_at=utcnow(),
                    destination=destination,
                    slack_ts=slack_ts,
                    attempts=AlertRow.attempts + 1,
                    last_error=None,
                )
            )

    def mark_attempt_failed(self, alert_id: int, error: str, *, permanent: bool) -> str:
        """Count a refused send; park the alert as failed when retrying cannot help."""
        with self.session() as s:
            row = s.get(AlertRow, alert_id)
            if row is None:
                return ALERT_FAILED
            row.attempts += 1
            row.last_error = error[:2000]
            if permanent or row.attempts >= MAX_ALERT_ATTEMPTS:
                row.status = ALERT_FAILED
            return row.status

    # --- runs -------------------------------------------------------------------------------

    def record_run(self, flow: str, started_at: datetime, summary: dict[str, Any]) -> None:
        with self.session() as s:
            s.add(RunRow(flow=flow, started_at=started_at, finished_at=utcnow(), summary=summary))

    def table_names(self) -> set[str]:
        return set(inspect(self.engine).get_table_names())


def _match_rows(
    article_id: int, matches: Sequence[StoredMatch], rules_version: str
) -> list[MatchRow]:
    return [
        MatchRow(
            article_id=article_id,
            topic=m.topic,
            score=m.score,
            terms=m.terms,
            snippet=m.snippet,
            rules_version=rules_version,
        )
        for m in matches
    ]


class DuplicateURLError(Exception):
    """The canonical URL is already stored (another worker got there first)."""
