"""Health notices in the corpus: which problems the operations channel was told about, and the
notices themselves, each posted once.

The decision of a pass (`newsmon.notices.plan_notices`) is taken and recorded in one
transaction under a lock (PostgreSQL: an advisory lock; SQLite: the write lock), so two passes
that overlap never both announce, or both resolve, one problem; the unique `open_key` stands
behind it. A notice row is its post's idempotency key, claimed like an alert: pending → sending
with an owner and a lease; a post whose outcome is unknown (a lost answer, an owner that died
before recording it) keeps `post_started_at`, and the next owner looks for it in Slack by its
metadata before posting it again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from newsmon.clock import utcnow
from newsmon.corpus.engine import Database, rerun_if_dropped
from newsmon.corpus.records import AlertStatus, Announced, Claim
from newsmon.corpus.schema import HealthNoticeRow, HealthProblemRow

if TYPE_CHECKING:
    from newsmon.notices import Plan

# pg_advisory_xact_lock(space, key) of the notice decision; the cluster locks use 0x6E63.
NOTICE_LOCK_SPACE, NOTICE_LOCK_KEY = 0x6E6E, 1
_SAME_CLAIM = timedelta(milliseconds=1)
_CANDIDATES = 5


@dataclass(frozen=True)
class NoticeJob:
    """A claimed notice: post it (after looking for an earlier post, when `unknown_since`)."""

    id: int
    channel: str
    text: str
    fallback: str
    thread_ts: str | None
    unknown_since: datetime | None


@dataclass(frozen=True)
class NoticeState:
    """What `newsmon health` adds: the problems announced and not resolved, notices waiting."""

    announced: list[Announced]
    waiting: int


class HealthNotices:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- the decision ---------------------------------------------------------------------------

    def _lock(self, s: Session) -> None:
        if self._db.is_postgres:
            s.execute(
                text("SELECT pg_advisory_xact_lock(:space, :key)"),
                {"space": NOTICE_LOCK_SPACE, "key": NOTICE_LOCK_KEY},
            )
        else:
            self._db.lock_writes(s)

    @staticmethod
    def _resolved(s: Session, keys: Collection[str], after: datetime | None) -> dict[str, datetime]:
        """When each problem of `keys`, or any resolved after `after`, was last resolved."""
        p = HealthProblemRow
        wanted: list[ColumnElement[bool]] = [p.key.in_(list(keys))] if keys else []
        if after is not None:
            wanted.append(p.resolved_at >= after)
        if not wanted:
            return {}
        rows = s.execute(
            select(p.key, func.max(p.resolved_at))
            .where(p.resolved_at.is_not(None), or_(*wanted))
            .group_by(p.key)
        )
        return {key: at for key, at in rows if at is not None}

    @classmethod
    def _announced(cls, s: Session) -> list[Announced]:
        rows = list(
            s.scalars(
                select(HealthProblemRow)
                .where(HealthProblemRow.open_key.is_not(None))
                .order_by(HealthProblemRow.id)
            )
        )
        # an open problem's key was resolved (if ever) before it opened: it is open once
        resolved = cls._resolved(s, {r.key for r in rows}, None)
        return [
            Announced(
                r.id,
                r.key,
                r.kind,
                r.subject,
                r.opened_at,
                r.since,
                r.open_notice_id,
                r.absent_passes,
                resolved.get(r.key),
                r.present_since,
                r.absent_since,
                r.steady_at,
            )
            for r in rows
        ]

    def announced(self) -> list[Announced]:
        with self._db.session() as s:
            return self._announced(s)

    def record(
        self,
        decide: Callable[[list[Announced], dict[str, datetime]], Plan],
        channel: str,
        now: datetime,
        recent: timedelta = timedelta(0),
    ) -> Plan:
        """Decide from the problems announced so far, and those resolved within `recent` of
        `now` (key: when), and record the decision: its notices as pending, the problems it
        opens, those it resolves — all or nothing, one pass at once."""
        with self._db.session() as s:
            self._lock(s)
            plan = decide(self._announced(s), self._resolved(s, (), now - recent))
            for draft in plan.drafts:
                thread_of = draft.thread_of
                parent = None
                if thread_of is not None:
                    parent = s.execute(
                        select(HealthNoticeRow.channel, HealthNoticeRow.thread_of).where(
                            HealthNoticeRow.id == thread_of
                        )
                    ).one_or_none()
                if parent is None or parent.channel != channel:
                    thread_of = None  # announced in another channel: say it at the top level
                elif parent.thread_of is not None:
                    thread_of = parent.thread_of  # a reply itself: in the thread it is in
                notice = HealthNoticeRow(
                    channel=channel,
                    text=draft.text,
                    fallback=draft.fallback,
                    thread_of=thread_of,
                    status=AlertStatus.PENDING,
                    attempts=0,
                    created_at=now,
                )
                s.add(notice)
                s.flush()
                for a in draft.opens:
                    s.add(
                        HealthProblemRow(
                            key=a.key,
                            open_key=a.key,
                            kind=a.problem.kind.value,
                            subject=a.problem.subject,
                            message=a.problem.message,
                            since=a.since,
                            opened_at=now,
                            open_notice_id=notice.id,
                            present_since=now,
                        )
                    )
                for g in draft.resolves:
                    done = s.execute(
                        update(HealthProblemRow)
                        .where(HealthProblemRow.id == g.id, HealthProblemRow.open_key.is_not(None))
                        .values(open_key=None, resolved_at=now, resolve_notice_id=notice.id)
                        .execution_options(synchronize_session=False)
                    )
                    if not getattr(done, "rowcount", 0):  # impossible under the lock
                        raise RuntimeError(f"health problem #{g.id} was resolved meanwhile")
                for st in draft.steadies:  # said once; its resolution in this notice's thread
                    s.execute(
                        update(HealthProblemRow)
                        .where(HealthProblemRow.id == st.id, HealthProblemRow.open_key.is_not(None))
                        .values(steady_at=now, open_notice_id=notice.id)
                        .execution_options(synchronize_session=False)
                    )
                s.flush()
            p = HealthProblemRow
            for problem_id, absent in plan.absences.items():  # gone for now, or back
                # the first pass of a run without it, or found again: present from now on
                streak: dict[str, object] = (
                    {"absent_since": func.coalesce(p.absent_since, now)}
                    if absent
                    else {"absent_since": None, "present_since": now}
                )
                s.execute(
                    update(p)
                    .where(p.id == problem_id, p.open_key.is_not(None))
                    .values(absent_passes=absent, **streak)
                    .execution_options(synchronize_session=False)
                )
        return plan

    # --- posting --------------------------------------------------------------------------------

    def claim_notice(
        self, claim: Claim, channel: str, skip: Collection[int] = ()
    ) -> NoticeJob | None:
        """Claim the oldest notice of `channel` that may go out now (a reply only once the
        notice it answers is posted, or refused for good: then at the top level), or None."""
        now = claim.started
        n, parent = HealthNoticeRow, aliased(HealthNoticeRow)
        claimable = or_(
            n.status == AlertStatus.PENDING,
            and_(n.status == AlertStatus.SENDING, n.lease_until < now),
        )
        with self._db.session() as s:
            candidates = list(
                s.scalars(
                    select(n.id)
                    .outerjoin(parent, parent.id == n.thread_of)
                    .where(
                        n.channel == channel,
                        claimable,
                        # in the thread of the notice it answers, once posted; at the top
                        # level when that one was refused for good (it never will be)
                        or_(
                            n.thread_of.is_(None),
                            parent.status.in_([AlertStatus.SENT, AlertStatus.FAILED]),
                        ),
                        n.id.not_in(list(skip)) if skip else n.id.is_not(None),
                    )
                    .order_by(n.id)
                    .limit(_CANDIDATES)
                )
            )
        for notice_id in candidates:
            with self._db.session() as s:
                taken = s.execute(
                    update(n)
                    .where(n.id == notice_id, claimable)
                    .values(
                        status=AlertStatus.SENDING,
                        claimed_by=claim.token,
                        lease_until=claim.lease_until,
                        post_started_at=func.coalesce(n.post_started_at, now),
                    )
                    .execution_options(synchronize_session=False)
                )
                if not getattr(taken, "rowcount", 0):
                    continue  # another pass took it first
                row = s.get_one(n, notice_id)
                thread_ts = None
                if row.thread_of is not None:
                    thread_ts = s.scalar(select(n.slack_ts).where(n.id == row.thread_of))
                started = row.post_started_at
                unknown = started if started and started < now - _SAME_CLAIM else None
                return NoticeJob(row.id, row.channel, row.text, row.fallback, thread_ts, unknown)
        return None

    @rerun_if_dropped
    def _settle(self, claim: Claim, notice_id: int, values: dict[str, object]) -> bool:
        """Record a claimed notice's outcome; run again when PostgreSQL aborts it for a
        deadlock (before, the health step ended with a post Slack took left unrecorded)."""
        n = HealthNoticeRow
        with self._db.session() as s:
            done = s.execute(
                update(n)
                .where(
                    n.id == notice_id,
                    n.claimed_by == claim.token,
                    n.status == AlertStatus.SENDING,
                )
                .values(claimed_by=None, lease_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(done, "rowcount", 0))

    def notice_sent(self, claim: Claim, notice_id: int, ts: str | None) -> bool:
        """Record a post Slack accepted (or found); False when the lease was lost meanwhile."""
        return self._settle(
            claim,
            notice_id,
            {
                "status": AlertStatus.SENT,
                "sent_at": utcnow(),
                "slack_ts": ts,
                "attempts": HealthNoticeRow.attempts + 1,
                "last_error": None,
                "post_started_at": None,
            },
        )

    def notice_failed(
        self, claim: Claim, notice_id: int, error: str, maybe_posted_since: datetime | None
    ) -> bool:
        """Pending again for the next pass; `maybe_posted_since` keeps it looked up first."""
        return self._settle(
            claim,
            notice_id,
            {
                "status": AlertStatus.PENDING,
                "attempts": HealthNoticeRow.attempts + 1,
                "last_error": error[:2000],
                "post_started_at": maybe_posted_since,
            },
        )

    def notice_refused(self, claim: Claim, notice_id: int, error: str) -> bool:
        """Failed for good: Slack refused this message itself (its thread deleted, its blocks);
        never claimed again, so it cannot hold back the notices after it."""
        return self._settle(
            claim,
            notice_id,
            {
                "status": AlertStatus.FAILED,
                "attempts": HealthNoticeRow.attempts + 1,
                "last_error": error[:2000],
                "post_started_at": None,
            },
        )

    def release_notice(self, claim: Claim, notice_id: int, unknown: datetime | None) -> bool:
        """Give a notice back untried; an earlier unknown outcome stays flagged."""
        return self._settle(
            claim, notice_id, {"status": AlertStatus.PENDING, "post_started_at": unknown}
        )

    # --- reading --------------------------------------------------------------------------------

    def state(self) -> NoticeState:
        with self._db.session() as s:
            waiting = s.scalar(
                select(func.count())
                .select_from(HealthNoticeRow)
                .where(HealthNoticeRow.status.not_in([AlertStatus.SENT, AlertStatus.FAILED]))
            )
            return NoticeState(self._announced(s), int(waiting or 0))
