"""Re-queuing what an operator names (`newsmon alerts retry ID… rID…`).

Alerts and thread replies are numbered apart: `newsmon alerts` lists alert #7 and reply r7, two
rows. Each id says which it names, so a reply's id never re-queues the alert of that number (an
unrelated story, perhaps one held back as too old, then posted as news). An id that names
nothing to re-queue is reported with what it names now; nothing else is touched.

Re-queuing is held to the rules a pass queues alerts by: a re-queued alert is posted as news
at the next pass, as if first seen now.
- `--failed` (without ids) holds back a story older than `alerts.max_age_hours` now, as a pass
  holds back a new alert of it (`pipeline.entries.alert_plan`): a channel misconfigured months
  ago, an old outage, would otherwise post last season's stories today. Named ids go whatever
  their age: the operator asked for those.
- A story is announced once per channel: an alert whose story another alert announced there
  meanwhile (its article found a copy later, two alerts of one story that both gave up) stays
  held back, as a pass holds back a late copy (`outbox.hold_back_late_copies`).

Each story is re-queued in its own transaction under its cluster lock, so a page read at last
joining it at that moment sees the re-queued alert (and holds back its own), and a delivery
never claims an alert that its story's check would hold back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from newsmon import clusters
from newsmon.clock import utcnow
from newsmon.corpus import claims
from newsmon.corpus.alert_views import announced_by
from newsmon.corpus.cluster_queries import lock_head
from newsmon.corpus.engine import Database, rerun_if_dropped
from newsmon.corpus.holds import HoldReason
from newsmon.corpus.outbox import hold_back_late_copies
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.replies import Replies, revive_replies
from newsmon.corpus.schema import AlertRow, ArticleRow, ReplyRow

_ID = re.compile(r"^(?P<reply>[rR])?#?(?P<id>[0-9]{1,18})$")


@dataclass(frozen=True)
class Named:
    """The alert ids and thread-reply ids an operator named."""

    alerts: tuple[int, ...] = ()
    replies: tuple[int, ...] = ()


def parse_ids(raw: Sequence[str]) -> Named:
    """`7` (or `#7`) names alert #7, `r7` thread reply r7, as `newsmon alerts` lists them;
    ValueError names the first that is neither."""
    alerts: list[int] = []
    replies: list[int] = []
    for text in raw:
        found = _ID.match(text.strip())
        if found is None:
            raise ValueError(f"{text[:40]!r} is neither an alert id (7) nor a thread reply's (r7)")
        (replies if found["reply"] else alerts).append(int(found["id"]))
    return Named(tuple(alerts), tuple(replies))


@dataclass(frozen=True)
class NotRequeued:
    """A named id that re-queued nothing, and what it names now."""

    reply: bool
    id: int
    status: AlertStatus | None  # None: no such alert or reply
    failed_replies: tuple[int, ...] = ()  # an alert's thread replies that gave up: name those
    announced_by: int | None = None  # held back: this alert announced its story in the channel
    held: HoldReason | None = None  # a reply dropped: why (its alert not posted, thread gone)


@dataclass(frozen=True)
class Retried:
    """How many alerts and replies were re-queued; named ids that were not; and, of every
    failed alert (`--failed`), those held back: stories older than the hold-back age (which
    naming their ids sends anyway) and stories another alert announced in their channel."""

    alerts: int
    replies: int
    not_requeued: list[NotRequeued] = field(default_factory=list)
    too_old: tuple[int, ...] = ()
    copies: tuple[int, ...] = ()


class Retries:
    """Re-queue named alerts and thread replies, and say which named ones were not."""

    def __init__(self, db: Database, replies: Replies) -> None:
        self._db, self._replies = db, replies

    def retry(
        self,
        named: Named,
        *,
        failed: bool,
        since: datetime | None,
        max_age: timedelta | None = None,
    ) -> Retried:
        """Named alerts (and, with `failed`, every failed one) and named replies (and, with
        `failed`, every reply that gave up), `since` when given. Unnamed, a failed alert of a
        story older than `max_age` (`alerts.max_age_hours`) is held back as a pass would.

        Named ids are re-queued first, as ids alone would be (any re-queuable status, any
        age): `--failed` adds every other failed alert and never narrows the named ones."""
        old_before = utcnow() - max_age if max_age is not None else None
        note = f"older than {max_age / timedelta(hours=1):g} h when re-queued" if max_age else ""
        done = requeue_alerts(self._db, named.alerts, since=since)
        if failed:
            swept = requeue_alerts(
                self._db, failed=True, since=since, old_before=old_before, old_note=note
            )
            done = Requeue(
                tuple(sorted(done.requeued + swept.requeued)),
                swept.too_old,
                tuple(sorted(done.copies + swept.copies)),
            )
        replies = self._replies.requeue_replies(named.replies, since) if named.replies else []
        extra = self._replies.retry_failed_replies(since) if failed else 0
        left = self._not_requeued(
            [a for a in named.alerts if a not in done.requeued],
            [r for r in named.replies if r not in replies],
        )
        copies = tuple(c for c in done.copies if c not in named.alerts)  # named: listed apart
        return Retried(len(done.requeued), len(replies) + extra, left, done.too_old, copies)

    def retry_alerts(
        self, ids: Sequence[int] = (), *, failed: bool = False, since: datetime | None = None
    ) -> int:
        """How many alerts `requeue_alerts` re-queued (no age limit)."""
        return len(requeue_alerts(self._db, ids, failed=failed, since=since).requeued)

    def _not_requeued(self, alerts: list[int], replies: list[int]) -> list[NotRequeued]:
        out: list[NotRequeued] = []
        with self._db.session() as s:
            if alerts:
                states = dict(
                    s.execute(select(AlertRow.id, AlertRow.status).where(AlertRow.id.in_(alerts)))
                    .tuples()
                    .all()
                )
                gave_up: dict[int, list[int]] = {}
                for reply_id, alert_id in s.execute(
                    select(ReplyRow.id, ReplyRow.alert_id)
                    .where(ReplyRow.alert_id.in_(alerts), ReplyRow.status == AlertStatus.FAILED)
                    .order_by(ReplyRow.id)
                ).tuples():
                    gave_up.setdefault(alert_id, []).append(reply_id)
                out += [
                    NotRequeued(
                        False,
                        a,
                        states.get(a),
                        tuple(gave_up.get(a, ())),
                        announced_by(s, a) if states.get(a) is AlertStatus.SKIPPED else None,
                    )
                    for a in dict.fromkeys(alerts)
                ]
            if replies:
                found = {
                    i: (status, held)
                    for i, status, held in s.execute(
                        select(ReplyRow.id, ReplyRow.status, ReplyRow.hold_reason).where(
                            ReplyRow.id.in_(replies)
                        )
                    ).tuples()
                }
                for r in dict.fromkeys(replies):
                    status, held = found.get(r, (None, None))
                    out.append(NotRequeued(True, r, status, held=held))
        return out


# --- re-queuing alerts ---

REQUEUABLE = (AlertStatus.FAILED, AlertStatus.SKIPPED, AlertStatus.PENDING)


@dataclass(frozen=True)
class Requeue:
    """What a re-queue did: alerts pending again, failed ones held back as too old (`skipped`),
    and alerts held back because another alert announced their story in their channel."""

    requeued: tuple[int, ...] = ()
    too_old: tuple[int, ...] = ()
    copies: tuple[int, ...] = ()


def requeue_alerts(
    db: Database,
    ids: Sequence[int] = (),
    *,
    failed: bool = False,
    since: datetime | None = None,
    old_before: datetime | None = None,
    old_note: str = "",
) -> Requeue:
    """Re-queue alerts (the given ids, or every failed one; those that gave up `since` when
    given): attempts start again, replies dropped meanwhile come back. Sent alerts and alerts a
    delivery holds are left alone. Without ids, a failed alert whose article came out before
    `old_before` is held back (`skipped`, `old_note`) instead."""
    where: list[Any] = [AlertRow.status.in_(REQUEUABLE)]
    if failed:
        where.append(AlertRow.status == AlertStatus.FAILED)
    if since is not None:
        where.append(AlertRow.failed_at >= since)
    if ids:
        where.append(AlertRow.id.in_(list(ids)))
    elif not failed:
        return Requeue()
    head = func.coalesce(ArticleRow.duplicate_of_id, ArticleRow.id)
    with db.session() as s:
        found = s.execute(
            select(AlertRow.id, head, ArticleRow.published_at, ArticleRow.first_seen_at)
            .join(ArticleRow, ArticleRow.id == AlertRow.article_id)
            .where(*where)
            .order_by(AlertRow.id)
        ).all()
    old: list[int] = []
    stories: dict[int, list[int]] = {}
    for alert_id, head_id, published, seen in found:
        if not ids and old_before is not None and clusters.story_time(published, seen) < old_before:
            old.append(alert_id)
        else:
            stories.setdefault(head_id, []).append(alert_id)
    too_old = _hold_back_old(db, old, where, old_note) if old else []
    requeued: list[int] = []
    copies: list[int] = []
    for head_id, alert_ids in stories.items():
        done, held = _requeue_story(db, head_id, alert_ids, where)
        requeued += done
        copies += held
    return Requeue(tuple(sorted(requeued)), tuple(too_old), tuple(sorted(copies)))


@rerun_if_dropped
def _hold_back_old(db: Database, ids: list[int], where: list[Any], note: str) -> list[int]:
    """Failed alerts of stories too old to announce now: held back, as a pass would. Run
    again when PostgreSQL aborts it for a deadlock with a pass (`rerun_if_dropped`)."""
    with db.session() as s:
        done = s.execute(
            update(AlertRow)
            .where(AlertRow.id.in_(ids), *where)
            .values(
                status=AlertStatus.SKIPPED,
                last_error=note,
                hold_reason=HoldReason.TOO_OLD,
                next_attempt_at=None,
                failed_at=None,
            )
            .returning(AlertRow.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(done.scalars())


@rerun_if_dropped
def _requeue_story(
    db: Database, head_id: int, ids: list[int], where: list[Any]
) -> tuple[list[int], list[int]]:
    """Re-queue one story's alerts in a transaction of their own, under the story's cluster
    lock. Run again when PostgreSQL aborts it for a deadlock with a pass delivering or reading
    the story (`rerun_if_dropped`): before, the command ended "database error", the story
    not re-queued (the stories before it were). (re-queued, held back)."""
    with db.session() as s:
        return _requeue_story_in(db, s, head_id, ids, where)


def _requeue_story_in(
    db: Database, s: Session, head_id: int, ids: list[int], where: list[Any]
) -> tuple[list[int], list[int]]:
    """Re-queue one story's alerts, then hold back those whose story is announced in their
    channel by another alert."""
    db.lock_writes(s)
    head_id = lock_head(db, s, head_id)  # the story it is now (its page read at last)
    done = list(
        s.scalars(
            update(AlertRow)
            .where(AlertRow.id.in_(ids), *where)
            .values(**claims.requeued())
            .returning(AlertRow.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not done:
        return [], []
    hold_back_late_copies(s, head_id)
    s.flush()
    held = set(
        s.scalars(
            select(AlertRow.id).where(AlertRow.id.in_(done), AlertRow.status == AlertStatus.SKIPPED)
        )
    )
    live = [i for i in done if i not in held]
    revive_replies(s, live)
    return live, sorted(held)
