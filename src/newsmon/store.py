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
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

MAX_URL = 2000
ALERT_PENDING, ALERT_SENT, ALERT_FAILED, ALERT_SKIPPED = "pending", "sent", "failed", "skipped"
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
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)


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
        with self.session() as s:
            row = s.scalar(select(FeedRow).where(FeedRow.name == name))
            if row is None:
                row = FeedRow(name=name, url=url, config_url=url, language=language)
                s.add(row)
            elif row.config_url != url:  # the operator changed the URL: start afresh
                row.url, row.config_url, row.etag, row.last_modified = url, url, None, None
                row.next_check_at, row.consecutive_failures = None, 0
            row.language = language
            s.flush()
            return FeedState(
                row.id,
                row.url,
                row.etag,
                row.last_modified,
                row.next_check_at,
                row.consecutive_failures,
            )

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
        matches or alerts. Duplicate detection shares the transaction and a lock, so two
        copies of a story stored at once cannot both become originals. A duplicate keeps no
        matches and raises no alert: the cluster's first article speaks for it.
        """
        with self._write_lock, self.session() as s:
            if article.content_hash and self.engine.dialect.name == "postgresql":
                s.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:h))"), {"h": article.content_hash}
                )
            original_id = self._original_by_hash(s, article.content_hash)
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
                duplicate_of_id=original_id,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise DuplicateURLError(article.canonical_url) from None
            queued = 0
            if original_id is None:
                for m in matches:
                    s.add(
                        MatchRow(
                            article_id=row.id,
                            topic=m.topic,
                            score=m.score,
                            terms=m.terms,
                            snippet=m.snippet,
                            rules_version=rules_version,
                        )
                    )
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
            return StoredArticle(row.id, original_id, queued)

    @staticmethod
    def _original_by_hash(s: Session, content_hash: str | None) -> int | None:
        if not content_hash:
            return None
        return s.scalar(
            select(ArticleRow.id)
            .where(ArticleRow.content_hash == content_hash, ArticleRow.duplicate_of_id.is_(None))
            .order_by(ArticleRow.id)
            .limit(1)
        )

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
                    s.add(
                        MatchRow(
                            article_id=article_id,
                            topic=topic,
                            score=m.score,
                            terms=m.terms,
                            snippet=m.snippet,
                            rules_version=rules_version,
                        )
                    )
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
                        # tracking parameters stay out of alerts; a link-less entry has a URN
                        article.url
                        if article.canonical_url.startswith("urn:")
                        else article.canonical_url,
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


class DuplicateURLError(Exception):
    """The canonical URL is already stored (another worker got there first)."""
