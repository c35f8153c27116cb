"""The corpus's tables as SQLAlchemy models: the shape migrations build and repositories query.

Changing a model means writing a migration (src/newsmon/migrations/versions); the tests compare
the migrated database with these models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from newsmon.bounds import MAX_LINK_CHARS, clean_text
from newsmon.clock import utcnow
from newsmon.corpus.holds import HoldReason
from newsmon.corpus.records import AlertStatus, DatedBy, DuplicateReason, RunStatus

MAX_URL = 2000
# A link longer than `url` holds is kept whole, up to this (servers' request lines stop near
# 8 KB), in `articles.long_url`: its page is tried again at its own address, not a cut one.
MAX_LONG_URL = MAX_LINK_CHARS


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


class EnumText(TypeDecorator[Any]):
    """A `StrEnum` kept as its plain string value in a VARCHAR: no database enum type, no
    CHECK constraint, so the schema is what it was when statuses were bare strings.

    `unknown_as_none`: a value this code's enum lacks (a newer release wrote it: its worker
    beside this one, or a rollback) is read as None, where None is a safe reading (a hold's
    reason: held back, reason unknown, read by its note), instead of failing every read of
    the row. The stored value is kept: only an assignment writes the column."""

    impl = String
    cache_ok = True

    def __init__(
        self, enum_class: type[StrEnum], length: int, *, unknown_as_none: bool = False
    ) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.unknown_as_none = unknown_as_none

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        if value is None:
            return None
        try:
            return self.enum_class(value)
        except ValueError:
            if self.unknown_as_none:
                return None
            raise


# Alerts' and replies' `hold_reason` (0023): new reasons need no revision from 0029 on.
HELD_BECAUSE = EnumText(HoldReason, 16, unknown_as_none=True)


class Bounded(TypeDecorator[str]):
    """A VARCHAR or TEXT column that accepts, on SQLite as on PostgreSQL, whatever text comes
    from the network: NUL and lone surrogates cleaned (PostgreSQL refuses them), and a value
    over the column's length cut to it, or with `drop_longer` stored as NULL (an ETag or a
    date cut short would mean something else). The one boundary where lengths are enforced."""

    impl = String
    cache_ok = True

    def __init__(self, length: int | None = None, *, drop_longer: bool = False) -> None:
        super().__init__(length)
        if length is None:
            self.impl = Text()  # type: ignore[assignment]
        self.length = length
        self.drop_longer = drop_longer

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = clean_text(str(value))
        if self.length is not None and len(text) > self.length:
            return None if self.drop_longer else text[: self.length]
        return text

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)


class Base(DeclarativeBase):
    pass


class FeedRow(Base):
    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(Bounded(MAX_URL))
    language: Mapped[str | None] = mapped_column(Bounded(8))
    etag: Mapped[str | None] = mapped_column(Bounded(500, drop_longer=True))
    last_modified: Mapped[str | None] = mapped_column(Bounded(100, drop_longer=True))
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Bounded())
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    entries_seen: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the configuration says; `url` differs after a permanent redirect.
    config_url: Mapped[str | None] = mapped_column(Bounded(MAX_URL))
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    schedule_note: Mapped[str | None] = mapped_column(Bounded())
    failure_kind: Mapped[str | None] = mapped_column(String(8))
    last_status: Mapped[int | None] = mapped_column(Integer)
    # Passes in a row in which an entry of this feed failed (an unexpected error: the story is
    # not stored), and since when: a fault that outlives a pass is for `newsmon health`.
    entry_failure_passes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    entries_failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A pass's lease on the feed while it fetches it (see `Feeds.claim_feeds`).
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ArticleRow(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Bounded(MAX_URL), unique=True)
    url: Mapped[str] = mapped_column(Bounded(MAX_URL))
    # The whole link when `url` holds only its first MAX_URL characters (None otherwise, and
    # for a link longer than MAX_LONG_URL: a cut address leads elsewhere).
    long_url: Mapped[str | None] = mapped_column(Bounded(MAX_LONG_URL, drop_longer=True))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id"))
    guid: Mapped[str | None] = mapped_column(Bounded(1000))
    title: Mapped[str | None] = mapped_column(Bounded())
    text: Mapped[str] = mapped_column(Bounded(), default="")
    text_source: Mapped[str] = mapped_column(String(20))
    extraction_note: Mapped[str | None] = mapped_column(Bounded())
    language: Mapped[str | None] = mapped_column(Bounded(8))
    author: Mapped[str | None] = mapped_column(Bounded(500))
    # the publisher an aggregator's item names in its <source> (0025): the alert's source
    publisher: Mapped[str | None] = mapped_column(Bounded(200))
    # and its site (`<source url>`'s, 0026): whose story a headline-only item may join
    publisher_site: Mapped[str | None] = mapped_column(Bounded(300))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What `published_at` is (0027; None: stored before, believed as stored): when only first
    # seen, a page read at last that states its date dates it (`Articles.recover_page`).
    dated_by: Mapped[DatedBy | None] = mapped_column(EnumText(DatedBy, 8))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # The cluster's first-seen article (always a cluster head, never a copy); None for a head.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    duplicate_reason: Mapped[DuplicateReason | None] = mapped_column(EnumText(DuplicateReason, 8))
    similarity: Mapped[float | None] = mapped_column(Float)  # estimated Jaccard to the head
    # MinHash of the body (NUM_PERM uint32, little-endian) and the scheme that made it.
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    minhash_scheme: Mapped[str | None] = mapped_column(String(64))
    # Hash of the feed entry's title and summary: a change means the publisher edited it.
    entry_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Downloads of its page tried so far, the one that read it included (0: never requested)
    # and, after a soft failure, when to try again (None: nothing to try).
    page_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    page_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When its page, due and never requested (deferred by its feed's page budget pass after
    # pass), was given up: unread as much as one tried and given up (health's pages_unread).
    page_unrequested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Its page was downloaded and held no article text, the teaser stands for it (0030): not a
    # download failure. Health counts these only for a feed whose pages used to hold text.
    page_textless: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When its rows left the near-duplicate index (`IndexRetention`): an old story's bands are
    # never looked up again. None: indexed (or never had bands). Re-indexing clears it.
    bands_dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # what the retention job looks for: old articles still indexed, oldest first
        Index(
            "ix_articles_indexed_seen",
            "first_seen_at",
            sqlite_where=sql_text("bands_dropped_at IS NULL"),
            postgresql_where=sql_text("bands_dropped_at IS NULL"),
        ),
        # a feed's stories (a keyed feed's pass), its count and newest (health, every pass)
        Index("ix_articles_feed_seen", "feed_id", "first_seen_at"),
    )

    @property
    def link(self) -> str:
        """The article's whole link: `url` holds only the start of a long one."""
        return self.long_url or self.url


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
        Index("ix_article_sightings_feed_seen", "feed_id", "seen_at"),  # as articles' (0024)
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id"))
    url: Mapped[str] = mapped_column(Bounded(MAX_URL))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchRow(Base):
    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("article_id", "topic", name="uq_matches_article_topic"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[int] = mapped_column(Integer)
    terms: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    snippet: Mapped[str] = mapped_column(Bounded())
    rules_version: Mapped[str] = mapped_column(String(32))
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("article_id", "channel", name="uq_alerts_article_channel"),
        Index("ix_alerts_status", "status"),
        Index("ix_alerts_sent_at", "sent_at"),  # a digest's period, the last alert posted
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    topics: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[AlertStatus] = mapped_column(
        EnumText(AlertStatus, 16), default=AlertStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    destination: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Claimed delivery: the claim's owner and lease; when a transient failure may be retried;
    # since when an attempt whose outcome is unknown may have reached Slack.
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    post_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    slack_channel: Mapped[str | None] = mapped_column(String(32))  # the ID Slack answered
    # When it gave up (status failed): health reports alerts that did so recently. None for
    # alerts failed before migration 0018, which kept no time.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why its Slack message takes no more thread replies (deleted: `thread_not_found`, or a
    # reply Slack un-threaded), learnt from a reply (migration 0022): later replies are dropped
    # with it, unposted. None while its thread takes replies, or nothing says otherwise.
    thread_gone: Mapped[str | None] = mapped_column(Text)
    # Why it is held back (`skipped`), for decisions; `last_error` says it for people (0023).
    # A reason this release lacks (a newer one's) reads as None: held back, reason unknown.
    hold_reason: Mapped[HoldReason | None] = mapped_column(HELD_BECAUSE)


class ReplyRow(Base):
    """A thread reply under a posted alert: another source carried the same story."""

    __tablename__ = "alert_replies"
    __table_args__ = (
        UniqueConstraint("alert_id", "source", name="uq_alert_replies_alert_source"),
        Index("ix_alert_replies_status", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(String(MAX_URL))
    status: Mapped[AlertStatus] = mapped_column(
        EnumText(AlertStatus, 16), default=AlertStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    slack_ts: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    post_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it gave up, as an alert's (migration 0020; None for replies failed before it).
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hold_reason: Mapped[HoldReason | None] = mapped_column(HELD_BECAUSE)  # as alerts'


class SlackChannelRow(Base):
    """What delivery knows about a channel: Slack's ID for it, whether it is blocked, and
    until when Slack asked it to wait."""

    __tablename__ = "slack_channels"
    channel: Mapped[str] = mapped_column(String(200), primary_key=True)
    slack_id: Mapped[str | None] = mapped_column(String(32))
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    blocked_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # why its history cannot be read (a missing scope), since when: lost posts cannot be checked
    history_error: Mapped[str | None] = mapped_column(Text)
    history_error_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Slack asked it to wait (Retry-After) until then (database clock), since when, and why:
    # every sender (alerts, replies, digests, notices) leaves it alone until it ends
    wait_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wait_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wait_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestRow(Base):
    """One channel's digest for one period: posted once (the unique key), in several parts."""

    __tablename__ = "digests"
    __table_args__ = (
        UniqueConstraint("channel", "period_start", "period_end", name="uq_digests_channel_period"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AlertStatus] = mapped_column(
        EnumText(AlertStatus, 16), default=AlertStatus.SENDING
    )
    stories: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    slack_ts: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a part's post began and its outcome is unknown (answer lost, crash): look before reposting
    post_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the stories as fixed when the digest began: a resumed digest posts the same parts
    content: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class HealthNoticeRow(Base):
    """One message to the operations channel (`slack.ops_channel`): problems that appeared, or
    that are gone. Claimed before it is posted, like an alert (owner, lease, an unknown outcome
    kept in `post_started_at` and looked up by its metadata before any second post)."""

    __tablename__ = "health_notices"
    __table_args__ = (Index("ix_health_notices_status", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Bounded())  # mrkdwn, escaped and bounded when built
    fallback: Mapped[str] = mapped_column(Bounded())
    # A "resolved" notice is posted in the thread of the notice that announced its problem.
    thread_of: Mapped[int | None] = mapped_column(ForeignKey("health_notices.id"))
    status: Mapped[AlertStatus] = mapped_column(
        EnumText(AlertStatus, 16), default=AlertStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    slack_ts: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    post_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HealthProblemRow(Base):
    """A problem of `newsmon health` (kind and subject: its `key`) announced in the operations
    channel, from the pass that first saw it to the pass that found it gone. `open_key` is the
    key while the problem lasts and NULL once resolved: unique, so one problem is open at most
    once, whichever passes race to announce it."""

    __tablename__ = "health_problems"
    __table_args__ = (UniqueConstraint("open_key", name="uq_health_problems_open_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    open_key: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(Bounded(200))
    message: Mapped[str] = mapped_column(Bounded(2000))
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it began, if known
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the pass that first saw it
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    open_notice_id: Mapped[int | None] = mapped_column(ForeignKey("health_notices.id"))
    resolve_notice_id: Mapped[int | None] = mapped_column(ForeignKey("health_notices.id"))
    # passes in a row that did not find it: resolved only once it stays gone
    absent_passes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the first pass of those in a row that found it, the first of those that did not (None while
    # found): a flapping problem is resolved, or said steady, after a duration, not a count of
    # passes (whose pace is the schedule's); and when it was said steady (once)
    present_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    absent_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    steady_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RunRow(Base):
    """A flow run: written when it starts (running), completed when it ends, whatever the end."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_flow_started", "flow", "started_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None while running
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[RunStatus] = mapped_column(
        EnumText(RunStatus, 16), default=RunStatus.COMPLETED, server_default="completed"
    )
    error: Mapped[str | None] = mapped_column(Text)  # why it failed or crashed, one line
    # the Prefect flow run (a UUID), so the worker's crash hook finds the row; None elsewhere
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
