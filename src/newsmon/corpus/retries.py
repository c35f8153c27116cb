"""Re-queuing what an operator names (`newsmon alerts retry ID… rID…`).

Alerts and thread replies are numbered apart: `newsmon alerts` lists alert #7 and reply r7, two
rows. Each id says which it names, so a reply's id never re-queues the alert of that number (an
unrelated story, perhaps one held back as too old, then posted as news). An id that names
nothing to re-queue is reported with what it names now; nothing else is touched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from newsmon.corpus.engine import Database
from newsmon.corpus.outbox import Outbox
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.replies import Replies
from newsmon.corpus.schema import AlertRow, ReplyRow

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


@dataclass(frozen=True)
class Retried:
    alerts: int
    replies: int
    not_requeued: list[NotRequeued] = field(default_factory=list)


class Retries:
    """Re-queue named alerts and thread replies, and say which named ones were not."""

    def __init__(self, db: Database, outbox: Outbox, replies: Replies) -> None:
        self._db, self._outbox, self._replies = db, outbox, replies

    def retry(self, named: Named, *, failed: bool, since: datetime | None) -> Retried:
        """Named alerts (and, with `failed`, every failed one) and named replies (and, with
        `failed`, every reply that gave up), `since` when given."""
        alerts = self._outbox.requeue_alerts(named.alerts, failed=failed, since=since)
        replies = self._replies.requeue_replies(named.replies, since) if named.replies else []
        extra = self._replies.retry_failed_replies(since) if failed else 0
        left = self._not_requeued(
            [a for a in named.alerts if a not in alerts],
            [r for r in named.replies if r not in replies],
        )
        return Retried(len(alerts), len(replies) + extra, left)

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
                    NotRequeued(False, a, states.get(a), tuple(gave_up.get(a, ())))
                    for a in dict.fromkeys(alerts)
                ]
            if replies:
                states = dict(
                    s.execute(select(ReplyRow.id, ReplyRow.status).where(ReplyRow.id.in_(replies)))
                    .tuples()
                    .all()
                )
                out += [NotRequeued(True, r, states.get(r)) for r in dict.fromkeys(replies)]
        return out
