"""What goes into and comes out of the corpus: plain records, status enums and errors.

No database code here (no SQLAlchemy): the pipeline, alerts and reports use these without
touching persistence. Enums are `StrEnum`s stored as their string values, so the schema holds
the same text as before they existed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from newsmon.dedup import Signature

# Where a stored text is a teaser standing in for the article (`text_source`), not its body.
TEASER_SOURCES = frozenset({"feed-summary", "page-description", "none"})
# Where an entry's text counts as the article itself, read from its page.
ARTICLE_SOURCES = frozenset({"page", "json-ld", "app-state"})


# In webhook mode an article is one message, whatever channels its topics map to: the
# webhook's channel is fixed by Slack. Here, not in newsmon.alerts, because the outbox reads it
# too and newsmon.alerts imports the corpus.
WEBHOOK_CHANNEL = "(webhook)"


class AlertStatus(StrEnum):
    """Where an alert is in the outbox."""

    PENDING = "pending"  # queued, to be sent by the next delivery
    SENDING = "sending"  # claimed by one delivery (owner and lease); only it may mark the result
    SENT = "sent"
    FAILED = "failed"  # refused for good, or too many times: never retried
    SKIPPED = "skipped"  # held back (too old, alerts off); an explicit backfill may revive it


# Alerts that announce their story in their channel (queued, being posted, posted); a held-back
# or failed one does not.
LIVE_ALERT_STATUSES = (AlertStatus.PENDING, AlertStatus.SENDING, AlertStatus.SENT)


class RunStatus(StrEnum):
    """How a flow run ended, as the runs table keeps it."""

    RUNNING = "running"  # started; a row left so was killed before it could say anything
    COMPLETED = "completed"
    FAILED = "failed"  # ran to its end, but its verdict is a failure (e.g. every feed failed)
    CRASHED = "crashed"  # an exception, a timeout or a cancellation stopped it


class DatedBy(StrEnum):
    """What an article's `published_at` is: a later read of its page may date it better."""

    FEED = "feed"  # the date its feed's entry states
    PAGE = "page"  # the date its page states (the feed stated none)
    SEEN = "seen"  # none stated: when first seen (new to a feed read before)
    UNKNOWN = "unknown"  # none stated, on the feed's first read: its age is unknown


UNDATED = (DatedBy.SEEN, DatedBy.UNKNOWN)  # dated when first seen: a page may tell better


class DuplicateReason(StrEnum):
    """Why an article joined a cluster."""

    HASH = "hash"  # the same normalised body
    NEAR = "near"  # a near-identical body (MinHash)
    SHORT = "short"  # a summary-length item's body, without its headline (exact n-grams)
    LEAD = "lead"  # a teaser of a long article: its opening (n-gram containment)
    # an item that is its headline alone (an aggregator's) and a story under that headline
    HEADLINE = "headline"


class StoreError(Exception):
    """The database is unusable: the message is one readable line without credentials."""


class SchemaState(StrEnum):
    """Where a corpus's schema stands against the revision this code expects."""

    CURRENT = "current"
    EMPTY = "empty"  # no schema yet (a new database): opening it creates the corpus
    BEHIND = "behind"  # an older revision: a pass or `newsmon migrate` migrates it
    AHEAD = "ahead"  # a revision this code does not know: a newer newsmon migrated it


class SchemaError(StoreError):
    """A command that only reads met a schema it cannot read and must not migrate."""

    def __init__(self, message: str, state: SchemaState, found: str | None, expected: str):
        super().__init__(message)
        self.state, self.found, self.expected = state, found, expected


class DuplicateURLError(Exception):
    """The canonical URL is already stored (another worker got there first)."""


class RowRefusedError(Exception):
    """The database refused a row's values (`DataError`): the message says which, briefly."""


# --- what the pipeline hands in ---------------------------------------------------------------


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
    # The page was requested and could not be downloaded; after a soft failure, when to retry.
    page_failed: bool = False
    # The page was downloaded: a try made, whatever text it held (none: a redesign, a consent
    # wall, not HTML), so a teaser standing in for it counts as unread (health's pages_unread).
    page_read: bool = False
    page_retry_at: datetime | None = None
    publisher: str | None = None  # an aggregator's item: the publisher its <source> names
    publisher_site: str | None = None  # and that publisher's site (`aggregated.site_of`)
    dated_by: DatedBy | None = None  # None: not told (a date believed as given)

    @property
    def page_textless(self) -> bool:
        """Its page was downloaded and held no article text: a teaser stands for it."""
        return self.page_read and self.text_source in TEASER_SOURCES


@dataclass(frozen=True)
class PageRetry:
    """A stored article whose page is due for another download: it was stored from a teaser
    (`text`) because the page failed, `attempts` times so far (or was deferred: 0), and has
    been due since `due_at`."""

    id: int
    url: str
    canonical_url: str
    title: str | None
    text: str
    language: str | None
    published_at: datetime | None
    first_seen_at: datetime
    attempts: int
    due_at: datetime
    dated_by: DatedBy | None = None  # SEEN, UNKNOWN: the page may date it better


@dataclass(frozen=True)
class RecoveredPage:
    """What reading a page on a later try changed: whether the body was replaced (not when an
    edit got there first), the alerts it queued, and the cluster it belongs to now."""

    replaced: bool
    alerts_queued: int = 0
    duplicate_of: int | None = None
    joined: bool = False  # a lone original that the article shows to be another story's copy


@dataclass(frozen=True)
class FeedSpec:
    """A feed as the configuration names it: what `sync_feeds` makes the stored state follow."""

    name: str
    url: str
    language: str | None


@dataclass(frozen=True)
class NewSighting:
    """A URL a feed carried for an already stored article."""

    article_id: int
    url: str


@dataclass(frozen=True)
class StoredMatch:
    topic: str
    score: int
    terms: list[dict[str, Any]]
    snippet: str


# --- what the corpus answers --------------------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    id: int
    url: str
    etag: str | None
    last_modified: str | None
    next_check_at: datetime | None
    failures: int
    first_read: bool = False  # never read successfully: its entries are its back catalogue


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
    created_at: datetime | None = None  # first synced: how long a never-working feed has failed
    last_new_at: datetime | None = None  # its newest article or sighting: silent since then
    pages_waiting: int = 0  # articles stored from a teaser whose page will be tried again
    # Of its articles first seen since the window `feed_health` was given: how many, how many
    # are teasers because their page could not be downloaded (no try left) or held no article
    # text while the feed's pages used to hold it (`page_health`), and the newest one's reason.
    recent_articles: int = 0
    recent_unread: int = 0
    last_page_error: str | None = None
    # Passes in a row in which one of its entries failed (not stored), and since when.
    entry_failure_passes: int = 0
    entries_failing_since: datetime | None = None


@dataclass(frozen=True)
class ClusterMatch:
    """The cluster a new article belongs to: its head, how it was matched, how closely."""

    head_id: int
    reason: DuplicateReason
    similarity: float


@dataclass(frozen=True)
class StoredArticle:
    id: int
    duplicate_of: int | None
    alerts_queued: int
    duplicate_reason: DuplicateReason | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class KnownArticle:
    """What the pipeline needs to know about a stored URL (`guid`, `published_at`: its entry's)."""

    id: int
    feed_id: int | None
    url: str
    entry_fingerprint: str | None
    text_source: str = "page"
    guid: str | None = None
    published_at: datetime | None = None
    dated_by: DatedBy | None = None  # SEEN, UNKNOWN: an edit dating nothing keeps this age


@dataclass(frozen=True)
class ArticleText:
    """A stored article's words, for re-applying the topic rules; `head`: the story's head
    for a copy, None for an original."""

    id: int
    title: str | None
    text: str
    head: int | None = None

    @property
    def words(self) -> tuple[str | None, str, int | None]:
        """What an article stored with these words holds: title, text, its head (if a copy)."""
        return self.title, self.text, self.head


@dataclass(frozen=True)
class TopicChanges:
    """What `replace_matches` changed: topics the article gained and lost, and how many of
    its queued alerts it withdrew (every topic of theirs lost); `stale`: nothing written, the
    article's words changed since the caller read them."""

    added: set[str]
    removed: set[str]
    withdrawn: int = 0
    stale: bool = False


@dataclass(frozen=True)
class ClusterMember:
    id: int
    title: str | None
    url: str
    feed: str | None
    first_seen_at: datetime
    duplicate_reason: DuplicateReason | None
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
class AlertJob:
    """An alert ready to send, with everything the message needs.

    `unknown_since` is set when an earlier attempt may have reached Slack (its claimer died, or
    the answer was lost): the sender must look for the message before posting it again.
    """

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
    unknown_since: datetime | None = None


@dataclass(frozen=True)
class ReplyJob:
    """A thread reply ("also reported by") under a story's posted alert."""

    id: int
    alert_id: int
    channel: str
    thread_ts: str
    source: str
    url: str
    title: str | None
    attempts: int
    unknown_since: datetime | None = None
    # the channel's ID Slack answered for the alert: the thread is there, whatever the channel
    # is called now (renamed since)
    slack_channel: str | None = None
    # the story's other replies claimed with this one: posted as one message, not one each
    also: tuple[ReplyJob, ...] = ()

    @property
    def ids(self) -> tuple[int, ...]:
        """The reply rows this message stands for: each recorded with its outcome."""
        return (self.id, *(j.id for j in self.also))

    @property
    def post_channel(self) -> str:
        """Where the reply is posted and looked up: the thread's channel by ID when known."""
        return self.slack_channel or self.channel


@dataclass(frozen=True)
class Claim:
    """Who holds a batch of outbox rows and until when: only the holder may record results."""

    token: str
    started: datetime  # in the database's clock (`Database.now`), as leases are compared there
    lease_until: datetime
    # this process's monotonic clock when the lease ends: how long it may still act on the
    # claim, whatever this host's wall clock says
    deadline: float = float("inf")


@dataclass(frozen=True)
class UnfinishedDigest:
    """A channel's digest of a period that was begun and not finished (given back, or held by
    a delivery whose lease is over), and the last error that stopped it."""

    channel: str
    since: datetime
    until: datetime
    error: str | None = None


@dataclass(frozen=True)
class ChannelBlock:
    """A channel's lasting trouble and since when: Slack refuses it (not_in_channel,
    channel_not_found, …; its alerts wait), or its history cannot be read (missing_scope)."""

    channel: str
    reason: str
    since: datetime


@dataclass(frozen=True)
class DigestStory:
    """One story of a channel's digest."""

    article_id: int
    title: str | None
    url: str
    source: str | None
    sources: int
    first_seen_at: datetime


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
class RunRecord:
    """One flow run as the runs table keeps it; `summary` is the flow's stored totals."""

    id: int
    flow: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any]
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "flow": self.flow,
            "status": self.status.value,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Announced:
    """A problem announced and not yet resolved, as the corpus keeps it."""

    id: int
    key: str
    kind: str
    subject: str | None
    opened_at: datetime  # when a pass first saw it
    since: datetime | None  # when it began, when the health check knew
    notice_id: int | None  # the notice that announced it
    absent_passes: int = 0  # passes in a row that did not find it
    # when the same problem (its key) was last resolved before this one opened: a problem back
    # soon after its "resolved" notice comes and goes (flaps)
    last_resolved: datetime | None = None
    # the first pass of those in a row that found it (None: stored before this was kept), the
    # first of those in a row that did not (None while found), and when a flapping problem was
    # said to be steady (found in every pass for a while): said once
    present_since: datetime | None = None
    absent_since: datetime | None = None
    steady_at: datetime | None = None

    @property
    def began(self) -> datetime:
        return self.since or self.opened_at
