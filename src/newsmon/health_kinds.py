"""What a health check says: its problem kinds, its thresholds and each feed's state.

The vocabulary `newsmon.health.assess` judges with and `newsmon.notices` announces in, apart
from the judging itself (`newsmon.health`), which re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from newsmon.corpus.records import FeedHealth
from newsmon.urls import shown_url


class ProblemKind(StrEnum):
    NO_PASS = "no_pass"  # no monitoring pass ever completed
    STALE = "stale"  # the last completed pass is too old
    LAST_PASS_FAILED = "last_pass_failed"  # the newest finished pass failed or crashed
    PASS_STUCK = "pass_stuck"  # a pass started long ago and never finished (hung or killed)
    FEED_FAILING = "feed_failing"  # a feed failing for longer than the policy allows
    FEED_SILENT = "feed_silent"  # a working feed that brought nothing new for days
    PAGES_UNREAD = "pages_unread"  # a feed whose article pages mostly could not be read
    ALERTS_STUCK = "alerts_stuck"  # alerts in a status that cannot go out (e.g. blocked)
    ALERTS_FAILED = "alerts_failed"  # alerts that gave up recently: their stories never posted
    INDEX_BEHIND = "index_behind"  # old stories are not leaving the near-duplicate index
    ENTRIES_FAILING = "entries_failing"  # a feed's entry fails pass after pass: a story not stored
    NO_FEEDS = "no_feeds"  # the configuration enables no feed: passes complete, nothing is read
    HISTORY_UNREADABLE = "history_unreadable"  # a lost post there cannot be checked (a scope)
    DIGEST_UNFINISHED = "digest_unfinished"  # a digest stopped half-way: the next call finishes it
    DIGEST_FAILED = "digest_failed"  # the last digest call stopped before posting its digests
    OPS_CHANNEL_REFUSED = "ops_channel_refused"  # Slack refuses the ops channel: nothing heard
    ALERTS_OFF = "alerts_off"  # alerts.enabled false: stories pile up, none is posted
    CLOCK_OFF = "clock_off"  # this host's clock is far from the sites': stories misdated


# Passes' shares of index retention a backlog may hold before it is a problem: a pass that
# fails to prune only warns in its log, and the index would grow again without a sign.
INDEX_SHARES_BEHIND = 10


@dataclass(frozen=True)
class IndexBacklog:
    """Articles past the index retention still in the index, and what one pass takes."""

    articles: int
    per_pass: int


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    message: str
    subject: str | None = None  # the feed or channel concerned

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "subject": self.subject, "message": self.message}


@dataclass(frozen=True)
class HealthPolicy:
    """Thresholds; `silent_for=None` turns the silence check off. A working feed is in
    trouble too when at least `unread_share` of its articles of the last `pages_window` (and
    `unread_min` of them) are teasers because their pages could not be downloaded or held no
    article text while they used to (`corpus.page_health`: pages that never held text are the
    feed's nature): a site that blocks or drops newsmon, or a redesign extraction cannot read,
    leaves its stories classified on a line or two, unseen (0: never).
    An entry stopped by an unexpected error is tried again next pass; one that fails in
    `entry_failure_passes` passes in a row is a fault that will not pass by itself (0: never).
    Alerts that gave up (`failed`) within `failed_alerts_within` are a problem: their stories
    were never posted, and the passes after them have nothing pending and complete."""

    max_pass_age: timedelta = timedelta(hours=1)
    failing_for: timedelta = timedelta(days=1)
    silent_for: timedelta | None = timedelta(days=7)
    pages_window: timedelta = timedelta(days=7)
    unread_share: float = 0.5
    unread_min: int = 5
    entry_failure_passes: int = 3
    failed_alerts_within: timedelta = timedelta(hours=24)
    # this host's clock off the feed servers' (their median, of at least `clock_samples`) by
    # more: a clock days ahead holds every story back as too old, one behind dates them late
    clock_off_by: timedelta = timedelta(minutes=30)
    clock_samples: int = 3

    @classmethod
    def of(
        cls, failing_hours: float, silent_days: float, max_age_minutes: float = 60
    ) -> HealthPolicy:
        """From the command line's units; `silent_days` 0 turns silence off."""
        return cls(
            max_pass_age=timedelta(minutes=max_age_minutes),
            failing_for=timedelta(hours=failing_hours),
            silent_for=timedelta(days=silent_days) if silent_days else None,
        )


class FeedState(StrEnum):
    OK = "ok"
    NEVER_CHECKED = "never_checked"
    FAILING = "failing"  # failing, for less long than the policy tolerates
    FAILING_TOO_LONG = "failing_too_long"
    SILENT = "silent"
    TWIN = "twin"  # configured again at another feed's address: not fetched, that one reads it


@dataclass(frozen=True)
class FeedVerdict:
    """One feed's health: its state and since when (last success, or last new article)."""

    health: FeedHealth
    state: FeedState
    since: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        h = self.health

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "name": h.name,
            "url": shown_url(h.url),
            "config_url": shown_url(h.config_url) if h.config_url else None,
            "state": self.state.value,
            "since": iso(self.since),
            "last_checked_at": iso(h.last_checked_at),
            "last_success_at": iso(h.last_success_at),
            "last_new_at": iso(h.last_new_at),
            "consecutive_failures": h.consecutive_failures,
            "failure_kind": h.failure_kind,
            "last_status": h.last_status,
            "last_error": h.last_error,
            "last_error_at": iso(h.last_error_at),
            "entries_seen": h.entries_seen,
            "articles": h.articles,
            "pages_waiting": h.pages_waiting,
            "recent_articles": h.recent_articles,
            "recent_unread": h.recent_unread,
            "entry_failure_passes": h.entry_failure_passes,
            "entries_failing_since": iso(h.entries_failing_since),
            "next_check_at": iso(h.next_check_at),
            "schedule_note": h.schedule_note,
        }


def judge_feed(h: FeedHealth, now: datetime, policy: HealthPolicy) -> FeedVerdict:
    """Failing is measured from the last success (or from when the feed was added); silence
    from its newest article or sighting, for feeds that otherwise work."""
    if h.last_checked_at is None:
        return FeedVerdict(h, FeedState.NEVER_CHECKED)
    if h.consecutive_failures:
        since = h.last_success_at or h.created_at or h.last_error_at
        too_long = since is not None and now - since > policy.failing_for
        return FeedVerdict(h, FeedState.FAILING_TOO_LONG if too_long else FeedState.FAILING, since)
    since = h.last_new_at or h.created_at
    if policy.silent_for is not None and since is not None and now - since > policy.silent_for:
        return FeedVerdict(h, FeedState.SILENT, since)
    return FeedVerdict(h, FeedState.OK, h.last_new_at)


def age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


def within_option(delta: timedelta) -> str:
    """`delta` as `newsmon alerts retry --within` reads it, whole hours up: "24h"."""
    return f"{-(-int(delta.total_seconds()) // 3600)}h"
