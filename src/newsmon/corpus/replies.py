"""Story threads: "also reported by" replies queued under a story's alerts, claimed and recorded
like alerts (see `newsmon.corpus.claims`).

One reply per source per alert (a story in one channel), never for the source the alert itself
announced; a reply is sent only once its alert has a Slack message to thread under, and is
dropped (`skipped`) while that alert is not posted (failed, held back); re-queuing the alert
(`Outbox.retry_alerts`, or a backfill with alerts reviving a held-back one:
`Outbox.enqueue_alert`) brings its dropped replies back (`revive_replies`). An alert whose
Slack message turned out gone (`thread_gone`, learnt from a reply) takes no more: later replies
are stored dropped with that reason, never posted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from newsmon.aggregated import carried_by
from newsmon.corpus import claims
from newsmon.corpus.cluster_queries import lock_head, story_members
from newsmon.corpus.engine import Database, rerun_if_dropped
from newsmon.corpus.holds import NOT_POSTED_NOTE, Hold, HoldReason, held_because
from newsmon.corpus.listings import ReplyListing
from newsmon.corpus.records import (
    LIVE_ALERT_STATUSES,
    AlertStatus,
    ChannelBlock,
    Claim,
    ReplyJob,
)
from newsmon.corpus.schema import (
    MAX_URL,
    AlertRow,
    ArticleRow,
    FeedRow,
    ReplyRow,
    SlackChannelRow,
)
from newsmon.corpus.spellings import spellings
from newsmon.urls import clean_url, site_root

# Alerts a sighting queues replies for: those that may still be posted. A failed alert may be
# re-queued by the operator, a held-back one by a backfill with alerts; their replies wait
# dropped (skipped) until then.
_NOT_POSTED = (AlertStatus.FAILED, AlertStatus.SKIPPED)
_REPLY_TO = (*LIVE_ALERT_STATUSES, *_NOT_POSTED)
_NOT_POSTED_HOLD = Hold(HoldReason.NOT_POSTED, NOT_POSTED_NOTE)
_SOURCE_CHARS = 80  # what `ReplyRow.source` holds: "Publisher via feed" is cut to it


def _gone(thread_gone: str | None) -> Hold | None:
    """A reply under an alert whose thread is gone is held back with why; else None."""
    return Hold(HoldReason.THREAD_GONE, thread_gone) if thread_gone else None


def _skipped(hold: Hold) -> dict[str, Any]:
    """What holding a reply back writes: `skipped`, why, and the note saying it."""
    return {"status": AlertStatus.SKIPPED, "last_error": hold.note, "hold_reason": hold.reason}


def reply_rows(
    s: Session, article_id: int, feed_id: int | None, url: str, same: frozenset[str] = frozenset()
) -> list[ReplyRow]:
    """New rows, for the caller's transaction, saying that `feed_id` carried the story of
    `article_id` at `url`: one per alert of the story that announced another source (not it,
    nor a feed in `same`: names of feeds it reads for) and has no reply from this one yet. A
    failed or held-back alert's reply is stored dropped (skipped): it goes out only if the
    alert is re-queued (`alerts retry`, `backfill --alerts`) and posts.
    One under an alert whose thread is gone (`Replies.thread_gone`) is stored dropped with why:
    posted, Slack would refuse it or put it at the channel's top level."""
    article = s.get(ArticleRow, article_id)
    feed = s.scalar(select(FeedRow.name).where(FeedRow.id == feed_id)) if feed_id else None
    if article is None or not feed:
        return []
    # an aggregator's copy (this very article, not a sighting of it) names its publisher
    own = article.publisher if article.feed_id == feed_id else None
    source = carried_by(feed, own, _SOURCE_CHARS) or feed
    head = article.duplicate_of_id or article.id
    members = story_members(head)
    alerts = s.execute(
        select(
            AlertRow.id,
            AlertRow.channel,
            AlertRow.status,
            AlertRow.thread_gone,
            FeedRow.name,
            ArticleRow.publisher,
        )
        .join(ArticleRow, ArticleRow.id == AlertRow.article_id)
        .outerjoin(FeedRow, FeedRow.id == ArticleRow.feed_id)
        .where(AlertRow.article_id.in_(members), AlertRow.status.in_(_REPLY_TO))
    ).all()
    # the alert itself names its own source: no reply for that one
    wanted = {
        a: (channel, _NOT_POSTED_HOLD if status in _NOT_POSTED else _gone(gone))
        for a, channel, status, gone, announced, whose in alerts
        if carried_by(announced, whose, _SOURCE_CHARS) != source and announced not in same
    }
    if not wanted:
        return []
    replied = set(
        s.scalars(
            select(ReplyRow.alert_id).where(
                ReplyRow.alert_id.in_(list(wanted)), ReplyRow.source == source
            )
        )
    )
    link = clean_url(url)
    if len(link) > MAX_URL:  # cut, it would lead to another page or none: the site instead
        link = site_root(link)[:MAX_URL]
    return [
        ReplyRow(
            alert_id=a,
            channel=channel,
            source=source,
            url=link,
            status=AlertStatus.SKIPPED if dropped else AlertStatus.PENDING,
            last_error=dropped.note if dropped else None,
            hold_reason=dropped.reason if dropped else None,
        )
        for a, (channel, dropped) in wanted.items()
        if a not in replied
    ]


def insert_replies(s: Session, postgres: bool, rows: list[ReplyRow]) -> int:
    """Insert `reply_rows`' rows in the caller's transaction; returns how many were new.

    `reply_rows` reads which sources have replied and this writes: another writer may queue the
    same reply in between (a sighting of another link of the story, from the same feed, does
    not take the story's lock). Its row is skipped (`ON CONFLICT DO NOTHING` on the unique
    key) instead of failing the transaction: the story's copy, stored in it, was lost for the
    pass and its feed read again in full on the next."""
    if not rows:
        return 0
    insert = (pg_insert if postgres else sqlite_insert)(cast(Table, ReplyRow.__table__))
    values = [
        {
            "alert_id": r.alert_id,
            "channel": r.channel,
            "source": r.source,
            "url": r.url,
            "status": r.status or AlertStatus.PENDING,
            "last_error": r.last_error,
            "hold_reason": r.hold_reason,
        }
        for r in rows
    ]
    added = s.execute(insert.values(values).on_conflict_do_nothing().returning(ReplyRow.id))
    return len(added.all())


def revive_replies(s: Session, alert_ids: list[int]) -> int:
    """Queue again, in the caller's transaction, the replies dropped while these alerts were
    not posted: the alerts are re-queued and may post now (if not, delivery drops them again).
    Replies sent or given up on their own, or naming a link that opens another story now
    (`REPLACED`), are left alone. How many."""
    if not alert_ids:
        return 0
    done = s.execute(
        update(ReplyRow)
        .where(
            ReplyRow.alert_id.in_(alert_ids),
            ReplyRow.status == AlertStatus.SKIPPED,
            ReplyRow.hold_reason.is_distinct_from(HoldReason.REPLACED),
        )
        .values(**claims.requeued())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)


class Replies:
    """Thread replies under posted alerts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def queue_replies(
        self, article_id: int, feed_id: int | None, url: str, same: frozenset[str] = frozenset()
    ) -> int:
        """Another source carried the story of `article_id` (a sighting of a stored page):
        queue one reply per alert of the story (none of `same`'s, see `reply_rows`). Returns
        how many were queued. Under the story's cluster lock, as a re-queue of its alerts
        (`retries.requeue_alerts`): one between this read of the alerts and its write left the
        reply dropped under an alert that posted (its revival ran before the reply existed)."""
        with self._db.session() as s:
            self._db.lock_writes(s)
            article = s.get(ArticleRow, article_id)
            if article is not None:
                lock_head(self._db, s, article.duplicate_of_id or article.id)
            rows = reply_rows(s, article_id, feed_id, url, same)
            return insert_replies(s, self._db.is_postgres, rows)

    @rerun_if_dropped
    def claim_replies(
        self, claim: Claim, limit: int, filt: claims.Filter | None = None
    ) -> list[ReplyJob]:
        """Claim replies whose alert is posted, channels in turn; drop those whose alert never
        will be (failed or held back). One claim at a time (`Database.lock_reply_claims`):
        a story's rows are claimed together, never split between two deliveries."""
        with self._db.session() as s:
            self._db.lock_reply_claims(s)
            # failed or held back, or sent where no thread exists (a webhook, the console)
            dead = select(AlertRow.id).where(
                AlertRow.status.in_([AlertStatus.FAILED, AlertStatus.SKIPPED])
                | ((AlertRow.status == AlertStatus.SENT) & AlertRow.slack_ts.is_(None))
            )
            s.execute(
                update(ReplyRow)
                .where(ReplyRow.status == AlertStatus.PENDING, ReplyRow.alert_id.in_(dead))
                .values(**_skipped(_NOT_POSTED_HOLD))
                .execution_options(synchronize_session=False)
            )
            # queued before its thread was found gone (another pass's sighting meanwhile)
            gone = select(AlertRow.thread_gone).where(AlertRow.id == ReplyRow.alert_id)
            s.execute(
                update(ReplyRow)
                .where(
                    ReplyRow.status == AlertStatus.PENDING,
                    ReplyRow.alert_id.in_(
                        select(AlertRow.id).where(AlertRow.thread_gone.is_not(None))
                    ),
                )
                .values(
                    status=AlertStatus.SKIPPED,
                    last_error=gone.scalar_subquery(),
                    hold_reason=HoldReason.THREAD_GONE,
                )
                .execution_options(synchronize_session=False)
            )
            posted = select(AlertRow.id).where(
                AlertRow.status == AlertStatus.SENT, AlertRow.slack_ts.is_not(None)
            )
            threads = posted.where(AlertRow.thread_gone.is_(None))
            # a killed delivery's reply (its lease over) is taken even where the thread is gone
            # since: it may stand at the channel's top level; its lookup drops it (and deletes
            # that). Not taken, it stayed `sending` for ever.
            where = [
                ReplyRow.alert_id.in_(posted),
                ReplyRow.alert_id.in_(threads) | (ReplyRow.status == AlertStatus.SENDING),
            ]
            filt = filt or claims.Filter()
            ids = claims.claim_rows(s, ReplyRow, claim, limit, where, filt)
            if not ids:
                return []
            ids = _with_siblings(s, claim, ids, where, filt)
            rows = s.execute(
                select(ReplyRow, AlertRow, ArticleRow.title, SlackChannelRow.slack_id)
                .join(AlertRow, AlertRow.id == ReplyRow.alert_id)
                .join(ArticleRow, ArticleRow.id == AlertRow.article_id)
                .outerjoin(SlackChannelRow, SlackChannelRow.channel == AlertRow.channel)
                .where(ReplyRow.id.in_(ids))
                .order_by(ReplyRow.id)
            ).all()
            return _grouped(
                ReplyJob(
                    r.id,
                    a.id,
                    r.channel,
                    a.slack_ts or "",
                    r.source,
                    r.url,
                    title,
                    r.attempts,
                    claims.unknown_since(r, claim),
                    # the ID its alert went to (else last known for the name): a channel
                    # renamed since still holds the thread, its old name none
                    a.slack_channel or known,
                )
                for r, a, title, known in rows
            )

    @rerun_if_dropped
    def reply_sent(self, claim: Claim, ids: int | Sequence[int], slack_ts: str | None) -> int:
        """Record the message standing for these replies sent: how many were still held."""
        with self._db.session() as s:
            return sum(claims.mark_sent(s, ReplyRow, i, claim, slack_ts, {}) for i in _ids(ids))

    @rerun_if_dropped
    def release_reply(
        self, claim: Claim, ids: int | Sequence[int], unknown: datetime | None
    ) -> bool:
        with self._db.session() as s:
            return all([claims.release(s, ReplyRow, i, claim, unknown) for i in _ids(ids)])

    @rerun_if_dropped
    def reply_dropped(self, claim: Claim, ids: int | Sequence[int], reason: str) -> bool:
        """Slack refused the reply for good because its alert's message has no thread to give
        (deleted, or of a kind that takes none): skipped, not failed, since re-queuing it could
        never post it."""
        with self._db.session() as s:
            hold = Hold(HoldReason.THREAD_GONE, reason[:2000])
            dropped = [claims.mark_skipped(s, ReplyRow, i, claim, hold) for i in _ids(ids)]
            return all(dropped)

    @rerun_if_dropped
    def thread_gone(self, alert_id: int, reason: str) -> int:
        """The alert's Slack message takes no more replies (deleted): remember why, so later
        copies' replies are dropped unposted (`reply_rows`), and drop (skip) its queued ones.
        How many were dropped (0 when run again after a COMMIT whose answer was lost). Run again
        on a deadlock too: before, one stopped the pass's delivery."""
        with self._db.session() as s:
            s.execute(
                update(AlertRow)
                .where(AlertRow.id == alert_id, AlertRow.thread_gone.is_(None))
                .values(thread_gone=reason[:2000])
                .execution_options(synchronize_session=False)
            )
            done = s.execute(
                update(ReplyRow)
                .where(ReplyRow.alert_id == alert_id, ReplyRow.status == AlertStatus.PENDING)
                .values(**_skipped(Hold(HoldReason.THREAD_GONE, reason[:2000])))
                .execution_options(synchronize_session=False)
            )
            return int(getattr(done, "rowcount", 0) or 0)

    @rerun_if_dropped
    def reply_failed(
        self,
        claim: Claim,
        ids: int | Sequence[int],
        error: str,
        *,
        retry_at: datetime | None,
        maybe_posted_since: datetime | None = None,
    ) -> AlertStatus | None:
        """Count a failed attempt of the message standing for these replies, on each."""
        status: AlertStatus | None = None
        with self._db.session() as s:
            for i in _ids(ids):
                status = (
                    claims.record_failure(
                        s,
                        ReplyRow,
                        i,
                        claim,
                        error,
                        retry_at=retry_at,
                        maybe_posted_since=maybe_posted_since,
                    )
                    or status
                )
        return status

    @rerun_if_dropped
    def retry_failed_replies(self, since: datetime | None = None) -> int:
        """Re-queue the replies that gave up (`since` when given), as `newsmon alerts retry
        --failed` does their alerts: attempts start again. Returns how many. Run again on a
        deadlock (before, the command ended "database error", nothing re-queued)."""
        query = update(ReplyRow).where(ReplyRow.status == AlertStatus.FAILED)
        if since is not None:
            query = query.where(ReplyRow.failed_at >= since)
        with self._db.session() as s:
            done = s.execute(
                query.values(**claims.requeued()).execution_options(synchronize_session=False)
            )
            return int(getattr(done, "rowcount", 0) or 0)

    @rerun_if_dropped  # a second run re-queues them again: harmless
    def requeue_replies(self, ids: Sequence[int], since: datetime | None = None) -> list[int]:
        """Re-queue these replies (failed, or waiting for a retry; that gave up `since` when
        given), as `newsmon alerts retry rID…` asks: attempts start again. One dropped (its
        alert not posted, its thread gone), sent or being sent is left alone. Their ids."""
        query = update(ReplyRow).where(
            ReplyRow.id.in_(list(ids)),
            ReplyRow.status.in_([AlertStatus.FAILED, AlertStatus.PENDING]),
        )
        if since is not None:
            query = query.where(ReplyRow.failed_at >= since)
        with self._db.session() as s:
            done = s.execute(
                query.values(**claims.requeued())
                .returning(ReplyRow.id)
                .execution_options(synchronize_session=False)
            )
            return list(done.scalars())

    def list_replies(
        self,
        blocks: dict[str, ChannelBlock],
        *,
        status: str | None = None,
        channel: str | None = None,
        limit: int = 50,
        reason: HoldReason | None = None,
    ) -> list[ReplyListing]:
        """Replies, newest first, as `Outbox.list_alerts` lists alerts: status "blocked" means
        pending in a channel of `blocks` (Slack refuses it)."""
        with self._db.session() as s:
            where = claims.listed(ReplyRow, blocks, status, _in_channel(s, channel), reason)
            query = select(ReplyRow).where(*where)
            rows = s.scalars(query.order_by(ReplyRow.id.desc()).limit(limit)).all()
            return [
                ReplyListing(
                    r.id,
                    r.alert_id,
                    r.channel,
                    r.status,
                    r.source,
                    r.attempts,
                    r.last_error,
                    r.next_attempt_at,
                    r.created_at,
                    r.sent_at,
                    blocks[r.channel].reason
                    if r.status == AlertStatus.PENDING and r.channel in blocks
                    else None,
                    r.failed_at,
                    held_because(r.hold_reason, r.last_error, r.status == AlertStatus.SKIPPED),
                )
                for r in rows
            ]

    def count_listed(
        self,
        blocks: dict[str, ChannelBlock],
        *,
        status: str | None = None,
        channel: str | None = None,
        reason: HoldReason | None = None,
    ) -> int:
        """How many replies `list_replies` would list without its limit."""
        with self._db.session() as s:
            where = claims.listed(ReplyRow, blocks, status, _in_channel(s, channel), reason)
            return s.scalar(select(func.count()).select_from(ReplyRow).where(*where)) or 0

    def count_replies(self, status: AlertStatus) -> int:
        with self._db.session() as s:
            query = select(func.count()).select_from(ReplyRow).where(ReplyRow.status == status)
            return s.scalar(query) or 0


# A story's replies posted as one message at most: its text lists as many sources as fit and
# counts the rest; the metadata names every row (`Marker.also`).
GROUP = 50


def _in_channel(s: Session, channel: str | None) -> ColumnElement[bool] | None:
    """Replies in `channel` under any of its spellings, as alerts are listed (`same_channel`)."""
    return None if channel is None else ReplyRow.channel.in_(spellings(s, channel).every)


def _ids(ids: int | Sequence[int]) -> Sequence[int]:
    return (ids,) if isinstance(ids, int) else ids


def _with_siblings(
    s: Session, claim: Claim, ids: list[int], where: list[Any], filt: claims.Filter
) -> list[int]:
    """`ids` and, claimed with them, the other replies waiting under the same alerts (a story
    copied by many sites in one pass): they go out as one message per story, not one each.
    Those an attempt may have posted too: the story's are looked up in one read of its thread,
    and those not found posted as one message (before, one each: a thread spammed)."""
    stories = list(s.scalars(select(ReplyRow.alert_id).where(ReplyRow.id.in_(ids)).distinct()))
    for alert_id in stories:  # up to GROUP rows of the story, those it holds included
        same = [*where, ReplyRow.alert_id == alert_id]
        claims.claim_rows(s, ReplyRow, claim, GROUP, same, filt)
    return list(
        s.scalars(
            select(ReplyRow.id)
            .where(ReplyRow.claimed_by == claim.token, ReplyRow.status == AlertStatus.SENDING)
            .order_by(ReplyRow.id)
        )
    )


def _grouped(jobs: Iterable[ReplyJob]) -> list[ReplyJob]:
    """One job per story (alert), the first carrying the others (`ReplyJob.also`). Replies an
    earlier attempt may have posted come first, and the job's `unknown_since` is the earliest
    of theirs: delivery looks them up together (`pipeline.lookups`) before posting."""
    stories: dict[int, list[ReplyJob]] = {}
    for job in jobs:
        stories.setdefault(job.alert_id, []).append(job)
    out: list[ReplyJob] = []
    for story in stories.values():
        story.sort(key=lambda j: (j.unknown_since is None, j.id))
        first, *rest = story
        since = [j.unknown_since for j in story if j.unknown_since is not None]
        out.append(replace(first, unknown_since=min(since, default=None), also=tuple(rest)))
    return sorted(out, key=lambda j: j.id)
