"""What `newsmon alerts` lists of the outbox: one alert or thread reply a line, with its
channel's block and why it is held back (records, no database code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from newsmon.corpus.holds import HoldReason
from newsmon.corpus.records import AlertStatus


@dataclass(frozen=True)
class AlertListing:
    """One alert as `newsmon alerts` shows it."""

    id: int
    article_id: int
    channel: str
    status: AlertStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    title: str | None
    blocked: str | None = None  # the channel's block reason, when it is blocked
    failed_at: datetime | None = None  # when it gave up (what `alerts retry --within` counts)
    hold_reason: HoldReason | None = None  # why it is held back (skipped)


@dataclass(frozen=True)
class ReplyListing:
    """One thread reply as `newsmon alerts` shows it: which source, under which alert."""

    id: int
    alert_id: int
    channel: str
    status: AlertStatus
    source: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    blocked: str | None = None  # the channel's block reason, when it is blocked
    failed_at: datetime | None = None  # when it gave up (what `alerts retry --within` counts)
    hold_reason: HoldReason | None = None  # why it is held back (skipped)
