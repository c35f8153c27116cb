"""The outbox aggregate: alerts are written here before Slack sees them, claimed by one delivery,
then marked sent, retried later or failed.

An alert row is queued in the same transaction as its article (see `alert_rows`), so a crash
never loses one; delivery claims rows (see `newsmon.corpus.claims`) so two deliveries never
post the same alert, and records each attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, String, func, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newsmon.aggregated import carried_by
from newsmon.clock import utcnow
from newsmon.corpus import claims, holds
from newsmon.corpus.cluster_queries import lock_head, story_members
from newsmon.corpus.engine import Database, rerun_if_dropped
from newsmon.corpus.holds import LATE_COPY_NOTE, RULES_CHANGED_NOTE, Hold, HoldReason
from newsmon.corpus.listings import AlertListing
from newsmon.corpus.own_links import shown_link
from newsmon.corpus.records import (
    LIVE_ALERT_STATUSES,
    WEBHOOK_CHANNEL,
    AlertJob,
    AlertStatus,
    ChannelBlock,
    Claim,
    StoredMatch,
)
from newsmon.corpus.replies import revive_replies
from newsmon.corpus.schema import AlertRow, ArticleRow, FeedRow, MatchRow, ReplyRow, SlackChannelRow
from newsmon.corpus.spellings import spellings

Filter = claims.Filter


def alert_rows(
    article_id: int,
    alerts: Mapping[str, Sequence[str]],
    status: AlertStatus,
    hold: Hold | None,
) -> list[AlertRow]:
    """New rows for an article's alerts (channel -> topics), for the caller's transaction;
    `hold`: why they are held back (`skipped`), when they are."""
    return [
        AlertRow(
            article_id=article_id,
            channel=channel,
            topics=sorted(topics),
            status=status,
            last_error=hold.note if hold else None,
            hold_reason=hold.reason if hold else None,
        )
        for channel, topics in alerts.items()
    ]


def withdraw_unmatched(s: Session, article_id: int, topics: set[str]) -> int:
    """Drop from the article's queued alerts the topics not in `topics`; hold back those
    left with none. How many were held back."""
    rows = s.scalars(
        select(AlertRow)
        .where(AlertRow.article_id == article_id, AlertRow.status == AlertStatus.PENDING)
        .with_for_update()
    )
    withdrawn = 0
    for row in rows:
        keep = [t for t in row.topics if t in topics]
        if keep == list(row.topics):
            continue
        if keep:
            row.topics = keep
        else:
            row.status, row.last_error = AlertStatus.SKIPPED, RULES_CHANGED_NOTE
            row.hold_reason = HoldReason.RULES_CHANGED
            withdrawn += 1
    return withdrawn


def same_channel(s: Session, channel: str) -> ColumnElement[bool]:
    """Alerts in `channel` however the configuration spelled it then (`spellings`): a channel
    configured by name and later by its ID (or the reverse) is one channel in Slack, and a
    story announced under one spelling was announced under the other; also known through the
    ID Slack answered for each post (`alerts.slack_channel`)."""
    spelled = spellings(s, channel)
    return AlertRow.channel.in_(spelled.every) | AlertRow.slack_channel.in_(spelled.ids)


def announcing(s: Session, channel: str) -> ColumnElement[bool]:
    """Alerts that announced a story in `channel` (`same_channel`), or will: the webhook has
    one channel, so a post through it, not held back, announced the story for the bot's
    channels too, and any post for the webhook (a team moving between the two)."""
    not_held = AlertRow.status != AlertStatus.SKIPPED
    if channel == WEBHOOK_CHANNEL:
        return same_channel(s, channel) | not_held
    return same_channel(s, channel) | ((AlertRow.channel == WEBHOOK_CHANNEL) & not_held)


def announced_in(s: Session, head_id: int, channel: str) -> bool:
    """Whether the story of `head_id` has an alert announcing it in `channel` (`announcing`),
    as `Outbox.enqueue_alert` decides: an edit or a page read at last did not count a webhook
    post, and announced the story again in the bot's channel (or back)."""
    query = select(AlertRow.id).where(
        AlertRow.article_id.in_(story_members(head_id)), announcing(s, channel)
    )
    return s.scalar(query.limit(1)) is not None


def hold_back_late_copies(s: Session, head_id: int) -> int:
    """Leave one alert a channel to a story that an article joined late (its page, read at
    last, showed its teaser to be a copy): the alerts of both were queued while they looked
    like two stories, and one still waiting (Slack was down) went out as a second post.

    A channel is where `announcing` says the story was announced: the Slack channel, whichever
    spelling the configuration gave it then (a name, later its ID), and the webhook's post for
    the bot's channels (and back). The alert that was sent or is being sent speaks first, then
    the story's head's (the article the story is stored under), then the first queued; a
    waiting alert whose channel a speaker announced the story in is held back (an explicit
    backfill does not revive it, `Outbox.enqueue_alert`). The caller holds the story's cluster
    lock. How many."""
    rows = s.scalars(
        select(AlertRow)
        .where(
            AlertRow.article_id.in_(story_members(head_id)),
            AlertRow.status.in_(LIVE_ALERT_STATUSES),
        )
        .order_by(AlertRow.id)
        .with_for_update()
    )
    # sorted() is stable: the first queued among equals
    ranked = sorted(rows, key=lambda a: (a.status is AlertStatus.PENDING, a.article_id != head_id))
    speakers: list[int] = []
    held = 0
    for alert in ranked:
        spoken = select(AlertRow.id).where(AlertRow.id.in_(speakers), announcing(s, alert.channel))
        if alert.status is AlertStatus.PENDING and s.scalar(spoken.limit(1)) is not None:
            alert.status, alert.last_error = AlertStatus.SKIPPED, LATE_COPY_NOTE
            alert.hold_reason = HoldReason.LATE_COPY
            held += 1
        else:
            speakers.append(alert.id)
    return held


class Outbox:
    """Queued alerts, their claims and delivery attempts, and the channels Slack refuses."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- queueing ------------------------------------------------------------------------------

    def enqueue_alert(
        self,
        article_id: int,
        channel: str,
        topics: Sequence[str],
        *,
        revive_skipped: bool = False,
        check_only: bool = False,
    ) -> bool:
        """Queue an alert unless this article, or another article of its story (cluster),
        already has one for this channel: a story is announced once per channel.

        `revive_skipped` (a backfill with alerts) re-queues a held-back alert (too old, alerts
        off) unless the story has another alert in the channel not held back, and another
        article's held-back alert stops no new one (the story matches through a copy now).
        Sent or failed alerts are never re-queued. A revived alert brings back the replies
        dropped while it was held (`revive_replies`), as a re-queue does (`retries`). A story
        with an alert not held back in any channel is announced for the webhook (the team may
        have moved to it), and one with a webhook alert for a bot channel (or back). The story's
        cluster lock is held meanwhile: a copy stored at the same moment does not speak too
        (newsmon.corpus.articles). `check_only`: whether it would, nothing written."""
        with self._db.session() as s:
            self._db.lock_writes(s)
            article = s.get(ArticleRow, article_id)
            if article is None:
                return False
            head = lock_head(self._db, s, article.duplicate_of_id or article.id)
            row = s.scalar(
                select(AlertRow).where(
                    AlertRow.article_id == article_id, AlertRow.channel == channel
                )
            )
            members = story_members(head)
            not_held = AlertRow.status != AlertStatus.SKIPPED
            same = announcing(s, channel)
            others = select(AlertRow.id).where(AlertRow.article_id.in_(members), same)
            if row is not None:
                if not (revive_skipped and holds.revivable(row.status, row.hold_reason)):
                    return False
                # Not when another member of the story (one this article joined since, its
                # page read at last) has an alert in the channel that was not held back.
                live = others.where(AlertRow.id != row.id, not_held)
                if s.scalar(live.limit(1)) is not None:
                    return False
                if check_only:
                    return True
                row.status, row.topics, row.last_error = AlertStatus.PENDING, sorted(topics), None
                row.hold_reason = None
                revive_replies(s, [row.id])  # the sources seen while it was held, as a retry
                return True
            if revive_skipped:  # held back (never sent) elsewhere in the story: not announced
                others = others.where(not_held)
            if s.scalar(others.limit(1)) is not None:
                return False
            if check_only:
                return True
            s.add(AlertRow(article_id=article_id, channel=channel, topics=sorted(topics)))
            try:
                s.flush()
            except IntegrityError:  # a concurrent worker queued it first
                return False
            return True

    def queued_topics(self, article_id: int) -> dict[str, list[str]]:
        """An article's alerts still queued (pending, not yet claimed): channel -> topics. What
        a backfill would withdraw from (`withdraw_unmatched`), read for its dry run."""
        with self._db.session() as s:
            rows = s.execute(
                select(AlertRow.channel, AlertRow.topics).where(
                    AlertRow.article_id == article_id, AlertRow.status == AlertStatus.PENDING
                )
            )
            return {channel: list(topics) for channel, topics in rows}

    # --- claiming and recording ------------------------------------------------------------------

    @rerun_if_dropped
    def claim_alerts(self, claim: Claim, limit: int, filt: Filter | None = None) -> list[AlertJob]:
        """Claim up to `limit` alerts for this delivery, channels in turn, oldest first."""
        with self._db.session() as s:
            ids = claims.claim_rows(s, AlertRow, claim, limit, [], filt or Filter())
            return self._jobs(s, ids, claim)

    def pending_alerts(self, limit: int) -> list[AlertJob]:
        """Alerts waiting to be sent, oldest first, without claiming them (for inspection)."""
        with self._db.session() as s:
            ids = list(
                s.scalars(
                    select(AlertRow.id)
                    .where(AlertRow.status == AlertStatus.PENDING)
                    .order_by(AlertRow.id)
                    .limit(limit)
                )
            )
            return self._jobs(s, ids, None)

    def _jobs(self, s: Session, ids: Sequence[int], claim: Claim | None) -> list[AlertJob]:
        if not ids:
            return []
        rows = s.execute(
            select(AlertRow, ArticleRow, FeedRow.name)
            .join(ArticleRow, ArticleRow.id == AlertRow.article_id)
            .outerjoin(FeedRow, FeedRow.id == ArticleRow.feed_id)
            .where(AlertRow.id.in_(list(ids)))
            .order_by(AlertRow.id)
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
                    # the whole link, no tracking parameters: an aggregator's, its publisher's
                    shown_link(s, article),
                    carried_by(feed, article.publisher, limit=None),
                    article.published_at,
                    matches,
                    claims.unknown_since(alert, claim) if claim else None,
                )
            )
        return jobs

    @rerun_if_dropped
    def alert_sent(
        self,
        claim: Claim,
        alert_id: int,
        *,
        destination: str,
        slack_ts: str | None,
        slack_channel: str | None = None,
    ) -> bool:
        """Record what Slack accepted; False when this claim no longer holds the alert."""
        extra = {"destination": destination, "slack_channel": slack_channel}
        with self._db.session() as s:
            # stamped once a digest reading now can no longer miss it (`lock_announcements`)
            self._db.lock_announcements(s, exclusive=False)
            return claims.mark_sent(s, AlertRow, alert_id, claim, slack_ts, extra)

    @rerun_if_dropped
    def release_alert(self, claim: Claim, alert_id: int, unknown: datetime | None) -> bool:
        with self._db.session() as s:
            return claims.release(s, AlertRow, alert_id, claim, unknown)

    @rerun_if_dropped
    def alert_failed(
        self,
        claim: Claim,
        alert_id: int,
        error: str,
        *,
        retry_at: datetime | None,
        maybe_posted_since: datetime | None = None,
    ) -> AlertStatus | None:
        with self._db.session() as s:
            return claims.record_failure(
                s,
                AlertRow,
                alert_id,
                claim,
                error,
                retry_at=retry_at,
                maybe_posted_since=maybe_posted_since,
            )

    # --- channels -----------------------------------------------------------------------------

    def channel_blocks(self) -> dict[str, ChannelBlock]:
        with self._db.session() as s:
            return {
                r.channel: ChannelBlock(
                    r.channel, r.blocked_reason or "", r.blocked_since or r.updated_at
                )
                for r in s.scalars(
                    select(SlackChannelRow).where(SlackChannelRow.blocked_reason.is_not(None))
                )
            }

    def set_channel_state(
        self, channel: str, *, blocked: str | None = None, slack_id: str | None = None
    ) -> None:
        """Block a channel with its reason, or (blocked=None) mark it working; remember its ID."""

        def change(row: SlackChannelRow) -> None:
            if blocked is not None and row.blocked_reason is None:
                row.blocked_since = utcnow()
            if blocked is None:
                row.blocked_since = None
            row.blocked_reason = blocked
            if slack_id:
                row.slack_id = slack_id

        self._change_channel(channel, change)

    def history_errors(self) -> dict[str, ChannelBlock]:
        """Channels whose history could not be read at their last lookup, why and since when."""
        with self._db.session() as s:
            return {
                r.channel: ChannelBlock(
                    r.channel, r.history_error or "", r.history_error_since or r.updated_at
                )
                for r in s.scalars(
                    select(SlackChannelRow).where(SlackChannelRow.history_error.is_not(None))
                )
            }

    def undelivered_channels(self) -> set[str]:
        """Channels with alerts or thread replies still to go out (pending or being sent)."""
        waiting = [AlertStatus.PENDING, AlertStatus.SENDING]
        with self._db.session() as s:
            alerts = s.scalars(
                select(AlertRow.channel).where(AlertRow.status.in_(waiting)).distinct()
            )
            replies = s.scalars(
                select(ReplyRow.channel).where(ReplyRow.status.in_(waiting)).distinct()
            )
            return set(alerts) | set(replies)

    def set_history_error(self, channel: str, error: str | None) -> None:
        """Record why a channel's history cannot be read, or (None) that it could be read."""

        def change(row: SlackChannelRow) -> None:
            if error is not None and row.history_error is None:
                row.history_error_since = utcnow()
            if error is None:
                row.history_error_since = None
            row.history_error = error

        self._change_channel(channel, change, create=error is not None)

    def _change_channel(
        self, channel: str, change: Callable[[SlackChannelRow], None], *, create: bool = True
    ) -> None:
        """Apply `change` to a channel's row, made first when missing (unless not `create`)."""
        for _ in range(2):  # a concurrent first insert of the row: then update it
            try:
                with self._db.session() as s:
                    row = s.get(SlackChannelRow, channel)
                    if row is None:
                        if not create:
                            return
                        row = SlackChannelRow(channel=channel)
                        s.add(row)
                    change(row)
                    row.updated_at = utcnow()
                return
            except IntegrityError:
                continue

    def channel_id(self, channel: str) -> str | None:
        """The Slack ID last answered for a configured channel name (or the name if an ID)."""
        with self._db.session() as s:
            row = s.get(SlackChannelRow, channel)
            return row.slack_id if row else None

    # --- operators --------------------------------------------------------------------------------

    def count_alerts(self, status: AlertStatus) -> int:
        query = select(func.count()).select_from(AlertRow).where(AlertRow.status == status)
        with self._db.session() as s:
            return s.scalar(query) or 0

    def list_alerts(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        limit: int = 50,
        reason: HoldReason | None = None,
    ) -> list[AlertListing]:
        """Alerts, newest first; status "blocked" means pending in a blocked channel; `reason`:
        those held back for it."""
        blocks = self.channel_blocks()
        with self._db.session() as s:
            in_channel = same_channel(s, channel) if channel is not None else None
            query = (
                select(AlertRow, ArticleRow.title)
                .join(ArticleRow, ArticleRow.id == AlertRow.article_id)
                .where(*claims.listed(AlertRow, blocks, status, in_channel, reason))
            )
            rows = s.execute(query.order_by(AlertRow.id.desc()).limit(limit)).all()
            return [
                AlertListing(
                    a.id,
                    a.article_id,
                    a.channel,
                    a.status,
                    a.attempts,
                    a.last_error,
                    a.next_attempt_at,
                    a.created_at,
                    a.sent_at,
                    title,
                    blocks[a.channel].reason
                    if a.status == AlertStatus.PENDING and a.channel in blocks
                    else None,
                    a.failed_at,
                    holds.held_because(
                        a.hold_reason, a.last_error, a.status == AlertStatus.SKIPPED
                    ),
                )
                for a, title in rows
            ]

    def count_listed(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        reason: HoldReason | None = None,
    ) -> int:
        """How many alerts `list_alerts` would list without its limit."""
        blocks = self.channel_blocks()
        with self._db.session() as s:
            in_channel = same_channel(s, channel) if channel is not None else None
            where = claims.listed(AlertRow, blocks, status, in_channel, reason)
            return s.scalar(select(func.count()).select_from(AlertRow).where(*where)) or 0

    def alert_counts(self) -> dict[str, dict[str, int]]:
        """Alerts per channel and status, statuses as stored (whatever statuses exist), except
        that pending alerts of a channel Slack refuses count as "blocked": they cannot go out
        as things are."""
        status = type_coerce(AlertRow.status, String)
        out: dict[str, dict[str, int]] = {}
        with self._db.session() as s:
            for channel, state, count in s.execute(
                select(AlertRow.channel, status, func.count()).group_by(AlertRow.channel, status)
            ):
                out.setdefault(channel, {})[str(state)] = count
        for channel in self.channel_blocks():
            states = out.get(channel, {})
            if states.get("pending"):
                states["blocked"] = states.pop("pending")
        return {c: dict(sorted(v.items())) for c, v in sorted(out.items())}
