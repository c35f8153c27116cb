"""Digests: a channel's stories of a period, and the record that posts each digest once.

The row for (channel, period) is the idempotency key: the first delivery inserts it as its own
claim, a second call for the same window finds it and posts nothing; a claim whose owner died
(expired lease) is taken over and resumes after the parts already posted. The row keeps the
stories as they were when the digest began (`content`): the parts a later call posts are those
of the same list and split, whatever was edited or added meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from sqlalchemy import and_, func, or_, select, text, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from newsmon.aggregated import carried_by
from newsmon.corpus.digest_content import kept_content, kept_parts, story_of
from newsmon.corpus.engine import Database, rerun_if_dropped, shared_now
from newsmon.corpus.outbox import same_channel
from newsmon.corpus.own_links import own_copy
from newsmon.corpus.records import AlertStatus, Claim, DigestStory, UnfinishedDigest
from newsmon.corpus.schema import (
    AlertRow,
    ArticleRow,
    DigestRow,
    FeedRow,
    SightingRow,
    SlackChannelRow,
)
from newsmon.corpus.spellings import spellings
from newsmon.urls import clean_url

# pg_advisory_xact_lock(space, key) of recording a new digest's period (`_overlapped`).
DIGEST_LOCK_SPACE, DIGEST_LOCK_KEY = 0x6E64, 1


@dataclass(frozen=True)
class DigestTurn:
    """This delivery holds a channel's digest for a period: post parts from `parts_sent` on."""

    id: int
    parts_sent: int
    resumed: bool = False  # taken over or resumed from an earlier call
    unknown_since: datetime | None = None  # the next part's post began then; outcome unknown
    stories: list[DigestStory] = field(default_factory=list)  # as fixed when it began
    # how many of them each part holds, as laid out when it began (None: begun by a release
    # that did not keep it; the parts are laid out anew)
    parts: list[int] | None = None


class NotBegun(Enum):
    """Why a delivery does not hold a channel's digest for a period (`begin_digest`)."""

    EMPTY = "empty"  # no story to post
    POSTED = "posted"  # this period's digest was posted already
    HELD = "held"  # another delivery is posting this period's digest right now
    # another call recorded a period of the channel overlapping this one first (two calls at
    # once): its stories are in that digest, the next call starts where it ended
    OVERLAPPED = "overlapped"
    LEFT = "left"  # begun and given back (or its delivery lost): a later call finishes it


class Digests:
    """Stories per channel and period, and which digests were posted."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def now(self) -> datetime:
        """Now in the clock posts are stamped in (`Database.now`): where a period may end."""
        return self._db.now()

    def digest_channels(self, since: datetime, until: datetime) -> list[str]:
        """The channels where a story was announced in [since, until): one per Slack channel,
        under the spelling its latest post was configured with (a channel renamed, or named
        and later given by its ID, during the period gets one digest, where it is now)."""
        with self._db.session() as s:
            rows = s.execute(
                select(AlertRow.channel, AlertRow.slack_channel)
                .where(*_announced(since, until))
                .order_by(AlertRow.sent_at, AlertRow.id)
            ).all()
            names = select(SlackChannelRow.channel, SlackChannelRow.slack_id).where(
                SlackChannelRow.channel.in_({channel for channel, _ in rows})
            )
            known = {name: slack_id for name, slack_id in s.execute(names) if slack_id}
        latest: dict[str, str] = {}  # Slack's ID (or the name, when none is known) -> spelling
        for channel, slack_id in rows:
            latest[slack_id or known.get(channel) or channel] = channel
        return sorted(set(latest.values()))

    def wait_for_posts(self) -> None:
        """Wait until every alert whose post was stamped before now is committed: a digest
        whose period ended before now then lists all of them (`Database.lock_announcements`)."""
        with self._db.session() as s:
            self._db.lock_announcements(s, exclusive=True)

    def digest_stories(self, channel: str, since: datetime, until: datetime) -> list[DigestStory]:
        """The stories announced in `channel` (under any spelling of it, see `same_channel`)
        in [since, until), in the order they went out, each once.

        Announced means posted: an alert counts in the period its post was recorded in
        (`sent_at`), not when it was queued, so a story that waited (a blocked channel, retries,
        a backfill reviving it) is in the digest of the day it went out, and one still waiting,
        failed or withdrawn is in none. Alerts of articles that turned out to be one story (a
        teaser whose page showed it to be another story's copy) show as that story's first.
        """
        with self._db.session() as s:
            rows = s.execute(
                select(ArticleRow, FeedRow.name)
                .join(AlertRow, AlertRow.article_id == ArticleRow.id)
                .outerjoin(FeedRow, FeedRow.id == ArticleRow.feed_id)
                .where(same_channel(s, channel), *_announced(since, until))
                .order_by(AlertRow.sent_at, AlertRow.id)
            ).all()
            out = []
            shown: set[int] = set()
            for article, feed in rows:
                head = article.duplicate_of_id or article.id
                if head in shown:
                    continue
                shown.add(head)
                members = select(ArticleRow.id).where(
                    or_(ArticleRow.id == head, ArticleRow.duplicate_of_id == head)
                )
                copies = s.execute(
                    select(ArticleRow.feed_id, ArticleRow.publisher)
                    .where(ArticleRow.id.in_(members))
                    .order_by(ArticleRow.id)
                ).all()
                seen = s.scalars(
                    select(SightingRow.feed_id).where(SightingRow.article_id.in_(members))
                )
                # an aggregator's feed carrying three publishers' copies is three sources
                feeds = {(f, p) for f, p in copies} | {(f, None) for f in seen}
                sources = len({(f, p) for f, p in feeds if f is not None}) or 1
                source, link = _shown(s, article, feed)
                out.append(
                    DigestStory(
                        article.id, article.title, link, source, sources, article.first_seen_at
                    )
                )
            return out

    def begin_digest(
        self,
        claim: Claim,
        channel: str,
        since: datetime,
        until: datetime,
        stories: Sequence[DigestStory],
        parts: Sequence[int] = (),
    ) -> DigestTurn | NotBegun:
        """Hold this channel's digest for the period, or say why not: posted already, another
        delivery posting it right now, another period recorded over it, nothing to post.

        A new digest keeps `stories` as its content; one taken over or resumed keeps the
        content it began with (`DigestTurn.stories`), so its remaining parts are cut from the
        same list. A digest begun before its content was kept takes `stories` now. `parts`: how
        many stories each part holds (`digest.digest_parts`), kept with them, so the parts left
        are those stories whatever layout a later release has."""
        content = kept_content(stories, parts)
        if content:
            try:
                with self._db.session() as s:
                    if self._overlapped(s, channel, since, until):
                        return NotBegun.OVERLAPPED
                    row = DigestRow(
                        channel=channel,
                        period_start=since,
                        period_end=until,
                        status=AlertStatus.SENDING,
                        claimed_by=claim.token,
                        lease_until=claim.lease_until,
                        stories=len(content),
                        content=content,
                    )
                    s.add(row)
                    s.flush()
                    return DigestTurn(row.id, 0, stories=list(stories), parts=kept_parts(content))
            except IntegrityError:
                pass
        with self._db.session() as s:
            taken = s.execute(
                update(DigestRow)
                .where(
                    DigestRow.channel == channel,
                    DigestRow.period_start == since,
                    DigestRow.period_end == until,
                    or_(
                        DigestRow.status == AlertStatus.PENDING,
                        (DigestRow.status == AlertStatus.SENDING)
                        & (DigestRow.lease_until < claim.started),
                    ),
                )
                .values(
                    status=AlertStatus.SENDING,
                    claimed_by=claim.token,
                    lease_until=claim.lease_until,
                )
                .execution_options(synchronize_session=False)
            )
            if not getattr(taken, "rowcount", 0):
                status = s.scalar(
                    select(DigestRow.status).where(
                        DigestRow.channel == channel,
                        DigestRow.period_start == since,
                        DigestRow.period_end == until,
                    )
                )
                if status is None:
                    return NotBegun.EMPTY
                return NotBegun.POSTED if status is AlertStatus.SENT else NotBegun.HELD
            held = s.scalar(select(DigestRow).where(DigestRow.claimed_by == claim.token))
            if held is None:
                return NotBegun.HELD
            if held.content is None:  # begun by a version that did not keep it
                # the parts it posted were laid out by that release, not this one: their layout
                # is left unknown (read back from the channel, or said unverified)
                fresh = content if not held.parts_sent else kept_content(stories, ())
                held.content, held.stories = fresh, len(fresh)
            kept = [story_of(item) for item in held.content]
            return DigestTurn(
                held.id, held.parts_sent, True, held.post_started_at, kept, kept_parts(held.content)
            )

    def _overlapped(self, s: Session, channel: str, since: datetime, until: datetime) -> bool:
        """Whether another period of `channel` overlapping [since, until) was recorded, taking
        the lock that makes the answer hold until this transaction records its own.

        Two calls at once (scheduled and by hand, on two workers) both found no digest to
        follow and recorded their own periods: the stories in both were posted twice. The
        loser now leaves its period: the next call starts where the winner's ended."""
        if self._db.is_postgres:
            s.execute(
                text("SELECT pg_advisory_xact_lock(:space, :key)"),
                {"space": DIGEST_LOCK_SPACE, "key": DIGEST_LOCK_KEY},
            )
        else:
            self._db.lock_writes(s)
        rows = s.execute(
            select(DigestRow.channel, DigestRow.period_start, DigestRow.period_end).where(
                DigestRow.channel.in_(spellings(s, channel).every),
                DigestRow.period_start < until,
                DigestRow.period_end > since,
            )
        ).all()
        # its own row (an unfinished digest resumed) is taken over, whatever else overlaps it
        # (periods recorded before a digest followed the last one's end)
        own = any(row == (channel, since, until) for row in rows)
        return bool(rows) and not own

    def unfinished_digests(
        self,
        now: datetime,
        after: datetime | None = None,
        channel: str | None = None,
        *,
        waiting: bool = False,
    ) -> list[UnfinishedDigest]:
        """Digests (of periods ending after `after`, when given) that were begun and not
        finished (given back, or held by a delivery whose lease is over at `now`: the
        database's clock, `now()`, which leases are written in), oldest period first. One
        given back until Slack's Retry-After ends (`release_digest`'s `not_before`) only with
        `waiting`: a later call posting before it ends was refused again."""
        due = (DigestRow.lease_until.is_(None)) | (DigestRow.lease_until <= now)
        where = [
            DigestRow.period_end > after if after is not None else true(),
            or_(
                (DigestRow.status == AlertStatus.PENDING) & (true() if waiting else due),
                (DigestRow.status == AlertStatus.SENDING) & (DigestRow.lease_until < now),
            ),
        ]
        with self._db.session() as s:
            if channel is not None:  # under any spelling: one begun before a rename is its own
                where.append(DigestRow.channel.in_(spellings(s, channel).every))
            rows = s.execute(
                select(
                    DigestRow.channel,
                    DigestRow.period_start,
                    DigestRow.period_end,
                    DigestRow.last_error,
                )
                .where(*where)
                .order_by(DigestRow.period_end, DigestRow.channel)
            ).all()
        return [UnfinishedDigest(c, since, until, error) for c, since, until, error in rows]

    @rerun_if_dropped
    def part_started(self, claim: Claim, digest_id: int) -> datetime:
        """Record that a part's post begins (its outcome unknown until `digest_progress`), so a
        crash leaves a digest that is looked up before that part is posted again; return when,
        in the database's clock (`shared_now`): a lookup from a host's clock minutes ahead
        missed the part it had posted, and posted it again."""
        with self._db.session() as s:
            at = shared_now(s)
            s.execute(
                update(DigestRow)
                .where(DigestRow.id == digest_id, DigestRow.claimed_by == claim.token)
                .values(post_started_at=at)
                .execution_options(synchronize_session=False)
            )
            return at

    @rerun_if_dropped  # before, a deadlock ended the call, the posted part unrecorded
    def digest_progress(
        self,
        claim: Claim,
        digest_id: int,
        parts_sent: int,
        ts: str | None,
        *,
        done: bool,
        error: str | None = None,
    ) -> bool:
        """Record the parts posted (or refused for good: `error`) so far, and, when `done`, the
        digest as sent (found so when run again after a COMMIT whose answer was lost)."""
        values: dict[str, object] = {"parts_sent": parts_sent, "post_started_at": None}
        if error:
            values["last_error"] = error[:2000]
        if ts and parts_sent == 1:
            values["slack_ts"] = ts
        if done:
            values |= {
                "status": AlertStatus.SENT,
                "claimed_by": None,
                "lease_until": None,
            }
        with self._db.session() as s:
            if done:  # in the clock every worker shares, as the alerts it lists
                values["sent_at"] = shared_now(s)
            ours = DigestRow.claimed_by == claim.token
            if done:
                sent = DigestRow.status == AlertStatus.SENT, DigestRow.parts_sent == parts_sent
                ours = or_(ours, and_(DigestRow.claimed_by.is_(None), *sent))
            res = s.execute(
                update(DigestRow)
                .where(DigestRow.id == digest_id, ours)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(res, "rowcount", 0))

    @rerun_if_dropped
    def release_digest(
        self,
        claim: Claim,
        digest_id: int,
        error: str,
        unknown: datetime | None = None,
        not_before: datetime | None = None,
    ) -> None:
        """Give the digest back (pending) so a later call resumes it; `unknown`: when the next
        part's post began if it may have been posted (a lost answer), else None; `not_before`:
        when Slack's Retry-After ends (kept in `lease_until`, which a pending digest had none
        of): the passes leave it alone until then."""
        with self._db.session() as s:
            s.execute(
                update(DigestRow)
                .where(DigestRow.id == digest_id, DigestRow.claimed_by == claim.token)
                .values(
                    status=AlertStatus.PENDING,
                    claimed_by=None,
                    lease_until=not_before,
                    last_error=error[:2000],
                    post_started_at=unknown,
                )
                .execution_options(synchronize_session=False)
            )

    def announced(self, channel: str, since: datetime, until: datetime) -> bool:
        """Whether a story was announced in `channel` (any spelling) in [since, until)."""
        with self._db.session() as s:
            found = s.scalar(
                select(AlertRow.id)
                .where(same_channel(s, channel), *_announced(since, until))
                .limit(1)
            )
        return found is not None

    def last_period_end(self, channel: str) -> datetime | None:
        """Where `channel`'s latest recorded digest (of any status, under any spelling of the
        channel) ended: where its next one starts (`digest.next_start`)."""
        with self._db.session() as s:
            return s.scalar(
                select(func.max(DigestRow.period_end)).where(
                    DigestRow.channel.in_(spellings(s, channel).every)
                )
            )

    def slack_id(self, channel: str) -> str | None:
        """Slack's ID for `channel` as delivery last learned it: where a digest begun under a
        name the channel has since lost (renamed in Slack) still reaches it."""
        with self._db.session() as s:
            return s.scalar(
                select(SlackChannelRow.slack_id).where(SlackChannelRow.channel == channel)
            )

    def last_digest_state(self, channel: str) -> NotBegun:
        """Where `channel`'s latest recorded digest (any spelling) stands, for a call that finds
        its period taken: posted, being posted under a live claim, or left for a later call."""
        with self._db.session() as s:
            row = s.execute(
                select(DigestRow.status, DigestRow.lease_until)
                .where(DigestRow.channel.in_(spellings(s, channel).every))
                .order_by(DigestRow.period_end.desc(), DigestRow.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return NotBegun.EMPTY
        status, lease_until = row
        if status is AlertStatus.SENT:
            return NotBegun.POSTED
        live = lease_until is not None and lease_until >= self._db.now()
        return NotBegun.HELD if status is AlertStatus.SENDING and live else NotBegun.LEFT

    def period_ended(self, at: datetime) -> bool:
        """Whether a digest (of any channel) was begun for a period ending at `at`: where the
        next day's period starts on the day clocks spring forward (`digest.window`)."""
        with self._db.session() as s:
            found = s.scalar(select(DigestRow.id).where(DigestRow.period_end == at).limit(1))
        return found is not None

    def begun_since(self, at: datetime) -> bool:
        """Whether a digest (of any channel) was begun at `at` or later: a digest call that
        stopped after it began one left it to `unfinished_digests` (and to the passes)."""
        with self._db.session() as s:
            found = s.scalar(select(DigestRow.id).where(DigestRow.created_at >= at).limit(1))
        return found is not None

    def digests_sent(self) -> int:
        with self._db.session() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(DigestRow)
                    .where(DigestRow.status == AlertStatus.SENT)
                )
                or 0
            )


def _shown(s: Session, article: ArticleRow, feed: str | None) -> tuple[str | None, str]:
    """The source a digest line names and the link it gives. An aggregator's item (its
    `publisher`) links the aggregator's wrapper page, a redirect a reader clicks through: the
    story's copy from the publisher's own feed, on its site, is shown instead when there is
    one, as its alert shows it (`own_copy`; before, any site's copy was taken); else
    "Publisher via feed" and the wrapper, the last resort."""
    copy = own_copy(s, article)
    if copy is not None:
        name = s.scalar(select(FeedRow.name).where(FeedRow.id == copy.feed_id))
        return name, clean_url(copy.link)
    return carried_by(feed, article.publisher, 400), clean_url(article.link)


def _announced(since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    """Alerts posted in [since, until): each in exactly one period."""
    return [
        AlertRow.status == AlertStatus.SENT,
        AlertRow.sent_at >= since,
        AlertRow.sent_at < until,
    ]
