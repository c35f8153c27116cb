"""What a pass did for one feed and one entry: typed records the flows and reports read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import DBAPIError

from newsmon.corpus.waits import CorpusBusy
from newsmon.poll import NextCheck
from newsmon.urls import hide_secrets


def error_line(exc: BaseException, limit: int = 300) -> str:
    """An unexpected error as one line for people: its type and the first line of its text,
    without secrets (`hide_secrets`: a driver quoting the database URL, a client the token).
    A database error says what the database said, without SQLAlchemy's further lines (the
    statement, the row's values, a link to its documentation)."""
    if isinstance(exc, CorpusBusy):  # its own line: what waited, for how long, on whom
        return hide_secrets(exc.line)[:limit]
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return (
        f"{type(exc).__name__}: {hide_secrets(lines[0])[:limit]}" if lines else type(exc).__name__
    )


class EntryFate(StrEnum):
    """What became of a feed entry whose URL was not stored when the pass began."""

    NEW = "new"  # stored as an original
    DUPLICATE = "duplicate"  # stored as a copy of an earlier article
    SEEN = "seen"  # another feed stored the same page while this one fetched it


@dataclass(frozen=True)
class EntryResult:
    source: str  # where the article text came from (page, json-ld, feed-summary, …)
    page_failed: bool
    fate: EntryFate
    topics: tuple[str, ...] = ()
    alerts_queued: int = 0
    near: bool = False  # a duplicate found by similarity (MinHash, short body), not body hash
    # downloaded, its work stopped by a stalled or killed worker: read again on a later pass
    page_stopped: bool = False


@dataclass
class FeedOutcome:
    """One feed's share of a pass. Filled in on the event loop only, so never raced."""

    feed: str
    ok: bool = True
    error: str | None = None
    warning: str | None = None
    not_modified: bool = False
    not_due: bool = False
    taken: bool = False  # (with not_due) another pass on the corpus fetches it, or just did
    # (with not_due) waiting out the backoff of its last failure: not merely between polls
    backing_off: bool = False
    # (with taken) another run held a live claim on it: this pass did not read it, and it is
    # not "not due" (the holder may be a pass that was killed and never gave it back)
    held: bool = False
    # (with not_due) the configured feed of the same address, which read it (`feed_twins`)
    twin_of: str | None = None
    # When the feed is polled again and why; None when it is due at the next pass anyway
    # (a batch that crashed records no schedule).
    next_check: NextCheck | None = None
    moved_to: str | None = None
    entries: int = 0
    new_articles: int = 0
    already_seen: int = 0
    duplicates: int = 0
    near_duplicates: int = 0  # of `duplicates`, those found by MinHash rather than body hash
    updated: int = 0  # known URLs whose feed entry changed and whose page was re-read
    pages_failed: int = 0  # downloads that failed
    # downloaded, their work stopped by a stalled or killed worker (not the page's fault):
    # stored from the teaser (or left as they were) and read again on a later pass
    pages_stopped: int = 0
    # pages stored from a teaser earlier, downloaded again this pass: tried, and read at last
    pages_retried: int = 0
    pages_recovered: int = 0
    pages_postponed: int = 0  # not requested: their site still failed its first retry
    # not requested: the feed's time for pages ran out while they waited for their host's
    # turn (newsmon.turns); stored from the teaser, or left due, and tried on a later pass
    pages_deferred: int = 0
    # new or edited entries not stored: no worker took their CPU work within the feeds task's
    # time (newsmon.turns.work_until); the feed is read whole, and due, at the next pass
    entries_late: int = 0
    # edited entries whose page was not read (a soft download failure, a stopped worker): the
    # article is kept as it was, and the feed read whole at its next check, so the edit is read
    edits_unread: int = 0
    bytes_received: int = 0
    text_sources: Counter[str] = field(default_factory=Counter)
    matches: Counter[str] = field(default_factory=Counter)
    alerts_queued: int = 0
    entries_failed: int = 0  # entries an unexpected error stopped (each one logged)
    entry_errors: list[str] = field(default_factory=list)  # their lines, the first few
    busy: bool = False  # an entry's write gave up on a lock another session holds
    clock_ahead: float | None = None  # seconds this host's clock is ahead of the feed server's

    def lock_held(self, exc: BaseException, line: str) -> bool:
        """Whether the feed met a lock another session holds on the corpus (`CorpusBusy`, now
        or before): the entry is counted failed, not recorded, and the later entries are left
        for the next pass, unstored. Each waited the whole lock bound for the same lock in
        turn (20 entries: 10 minutes at 30 s), and the feed's batch timed out."""
        self.busy = self.busy or isinstance(exc, CorpusBusy)
        if self.busy:
            self.entry_failed(line)
        return self.busy

    def entry_failed(self, line: str, entries: int = 1) -> None:
        """An entry stopped by an unexpected error (or `entries` the feed's bytes hid beyond
        reading): counted, its line kept, the feed goes on."""
        self.entries_failed += entries
        if len(self.entry_errors) < 5:
            self.entry_errors.append(line)

    def count(self, result: EntryResult) -> None:
        """Add one processed entry to the feed's figures."""
        self.text_sources[result.source] += 1
        self.pages_failed += result.page_failed
        self.pages_stopped += result.page_stopped
        if result.fate is EntryFate.SEEN:
            self.already_seen += 1
            return
        if result.fate is EntryFate.DUPLICATE:
            self.duplicates += 1
            self.near_duplicates += result.near
        else:
            self.new_articles += 1
        self.matches.update(result.topics)
        self.alerts_queued += result.alerts_queued

    @classmethod
    def failed(cls, feed: str, error: str, next_check: NextCheck | None = None) -> FeedOutcome:
        return cls(feed, ok=False, error=error, next_check=next_check)


@dataclass
class DeliveryOutcome:
    """What one delivery pass did, for the pass's totals and its verdict."""

    sent: int = 0  # alerts; thread replies count in `replies_sent`
    failed: int = 0  # alerts that gave up; thread replies count in `replies_failed`
    deferred: int = 0  # claimed but given back untried (channel blocked, pass over, stopped)
    errors: list[str] = field(default_factory=list)
    sender: str = ""
    retrying: int = 0  # failed transiently this pass, to be retried later
    recovered: int = 0  # found already posted (an earlier attempt's lost answer)
    replies_sent: int = 0
    blocked: dict[str, str] = field(default_factory=dict)  # channel -> Slack's reason
    credential_error: str | None = None  # delivery stopped: the run must fail
    held: int = 0  # may have posted, the lookup failed: given back for a later pass, untried
    unchecked: int = 0  # may have posted, the lookup failed past the hold: posted anyway
    history_errors: dict[str, str] = field(default_factory=dict)  # channel -> why unreadable
    replies_failed: int = 0  # thread replies that gave up (health reports them apart too)
    off: bool = False  # alerts.enabled: false: nothing claimed nor posted, the queue kept
    # channel -> when Slack's Retry-After ends (database clock): kept on its queued rows too
    waits: dict[str, datetime] = field(default_factory=dict)
