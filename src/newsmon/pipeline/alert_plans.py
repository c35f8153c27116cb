"""How a story first seen (or its page read at last) is queued: which channels, and whether
held back (`skipped`) and why, as a typed reason with its note (`newsmon.corpus.holds`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from newsmon import alerts as alerting
from newsmon.corpus import holds
from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.records import UNDATED, AlertStatus, DatedBy, KnownArticle, NewArticle
from newsmon.dates import believable
from newsmon.feeds import FeedEntry
from newsmon.pipeline.context import Context
from newsmon.rules import TopicMatch

# A backfill without --alerts stores its stories' alerts held back.
BACKFILL_HOLD = Hold(HoldReason.BACKFILL, holds.BACKFILL_NOTE)
# A story of a feed's back catalogue that nothing dates (the feed writes no date, or one it
# stamps when read: `newsmon.stamps`) nor its page: held back as a first read's older stories are.
AGE_UNKNOWN_HOLD = Hold(
    HoldReason.TOO_OLD, "of unknown age on the feed's first read: neither feed nor page dates it"
)


def alert_plan(
    ctx: Context, matches: Sequence[TopicMatch], published: datetime | None, now: datetime
) -> tuple[dict[str, list[str]], AlertStatus, Hold | None]:
    """Channels to alert and the status to queue them with (pending, or skipped and why)."""
    channels = alerting.route(
        (m.topic for m in matches), ctx.config.slack, webhook=ctx.secrets.webhook_only
    )
    cfg = ctx.config.alerts
    if not cfg.enabled:
        return channels, AlertStatus.SKIPPED, Hold(HoldReason.ALERTS_OFF, holds.ALERTS_OFF_NOTE)
    limit = cfg.max_age_hours
    if limit is not None and published is not None and now - published > timedelta(hours=limit):
        old = Hold(HoldReason.TOO_OLD, f"older than {limit:g} h when first seen")
        return channels, AlertStatus.SKIPPED, old
    return channels, AlertStatus.PENDING, None


def held_unknown(
    ctx: Context, entry: FeedEntry, status: AlertStatus, page_date: datetime | None, now: datetime
) -> bool:
    """Whether a story queued `status` is held back instead: its feed gave it no date (or only
    a stamp) on the feed's first read (`FeedEntry.age_unknown`) and its page states none believable,
    under an age limit (without one, a first read announces every story)."""
    return (
        entry.age_unknown
        and status is AlertStatus.PENDING
        and ctx.config.alerts.max_age_hours is not None
        and believable(page_date, now) is None
    )


def edit_plan(
    ctx: Context,
    matches: Sequence[TopicMatch],
    changed: NewArticle,
    stored: KnownArticle,
    now: datetime,
) -> tuple[dict[str, list[str]], AlertStatus, Hold | None]:
    """An edit's alert plan. An edit that dates nothing (its entry and page state no date) is
    "first seen" now, but its story is not new: it is aged by the date it is stored with, and
    one of unknown age (the feed's back catalogue, `held_unknown`) stays held back; an edit
    whose page states a date is aged by it, as a first read of that page would be."""
    undated = changed.dated_by in UNDATED
    published = stored.published_at if undated and stored.published_at else changed.published_at
    channels, status, note = alert_plan(ctx, matches, published, now)
    unknown = undated and stored.dated_by is DatedBy.UNKNOWN
    if unknown and status is AlertStatus.PENDING and ctx.config.alerts.max_age_hours is not None:
        status, note = AlertStatus.SKIPPED, AGE_UNKNOWN_HOLD
    return channels, status, note
