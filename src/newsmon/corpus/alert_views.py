"""What health reads of the outbox beyond its counts: the alerts (and thread replies) that gave
up recently, and those held back while alerts are off.

Reads only; queueing, claiming and recording alerts is `Outbox`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsmon.corpus.claims import held_for
from newsmon.corpus.cluster_queries import story_members
from newsmon.corpus.engine import Database
from newsmon.corpus.holds import HoldReason
from newsmon.corpus.outbox import announcing
from newsmon.corpus.records import LIVE_ALERT_STATUSES, AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow, ReplyRow


@dataclass(frozen=True)
class HeldBack:
    """Alerts held back while alerts are off, since the last one posted, and the first's time."""

    count: int
    first: datetime | None


class AlertViews:
    """Alerts as `newsmon health` reads them."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def failed_since(self, since: datetime) -> dict[str, int]:
        """Alerts per channel that gave up (`failed`: out of tries, or refused by Slack for
        good) at or after `since`: stories that were never posted. One whose story another
        alert announced in its channel (`announced_by`: a copy's, the webhook's) is no lost
        story, and `alerts retry` would hold it back. Held-back (`skipped`) alerts are not
        failures; alerts failed before migration 0018 kept no time and are left out."""
        query = (
            select(AlertRow.id, AlertRow.channel)
            .where(AlertRow.status == AlertStatus.FAILED, AlertRow.failed_at >= since)
            .order_by(AlertRow.channel, AlertRow.id)
        )
        out: dict[str, int] = {}
        with self._db.session() as s:
            for alert_id, channel in s.execute(query).tuples().all():
                if announced_by(s, alert_id) is None:
                    out[channel] = out.get(channel, 0) + 1
        return out

    def failed_replies_since(self, since: datetime) -> dict[str, int]:
        """Thread replies per channel that gave up at or after `since`: posted stories whose
        thread never named that source. Replies failed before migration 0019 kept no time;
        those dropped because their alert was never posted are `skipped`, not failures."""
        query = (
            select(ReplyRow.channel, func.count())
            .where(ReplyRow.status == AlertStatus.FAILED, ReplyRow.failed_at >= since)
            .group_by(ReplyRow.channel)
        )
        with self._db.session() as s:
            return {channel: int(count) for channel, count in sorted(s.execute(query).tuples())}

    def held_back_while_off(self) -> HeldBack:
        """Alerts held back because alerts were off (their `HoldReason`, not their note's
        wording; an older release's frozen note when it stored none: `held_for`), queued after
        the last alert posted: those of this switch-off, not of an earlier one since which
        alerts went out again."""
        with self._db.session() as s:
            last_sent = s.execute(select(func.max(AlertRow.sent_at))).scalar_one()
            off = held_for(AlertRow, HoldReason.ALERTS_OFF)
            query = select(func.count(), func.min(AlertRow.created_at)).where(
                AlertRow.status == AlertStatus.SKIPPED, off
            )
            if last_sent is not None:
                query = query.where(AlertRow.created_at > last_sent)
            count, first = s.execute(query).one()
        return HeldBack(int(count), first)


def announced_by(s: Session, alert_id: int) -> int | None:
    """The alert (sent, being sent or waiting) that announces this alert's story in its channel
    (`announcing`: any spelling of it, the webhook's post); None when none does."""
    row = s.get(AlertRow, alert_id)
    article = s.get(ArticleRow, row.article_id) if row else None
    if row is None or article is None:
        return None
    head = article.duplicate_of_id or article.id
    return s.scalar(
        select(func.min(AlertRow.id)).where(
            AlertRow.article_id.in_(story_members(head)),
            announcing(s, row.channel),
            AlertRow.status.in_(LIVE_ALERT_STATUSES),
            AlertRow.id != alert_id,
        )
    )
