"""The outbox aggregate: alerts are written here before Slack sees them, then marked sent.

An alert row is queued in the same transaction as its article (see `alert_rows`), so a crash
never loses or duplicates one; delivery reads pending rows and records each attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import String, func, select, type_coerce, update
from sqlalchemy.exc import IntegrityError

from newsmon.clock import utcnow
from newsmon.corpus.engine import Database
from newsmon.corpus.records import AlertJob, AlertStatus, StoredMatch
from newsmon.corpus.schema import AlertRow, ArticleRow, FeedRow, MatchRow
from newsmon.urls import clean_url

# After this many refusals an alert is parked as failed: a poison message must not block others.
_MAX_ATTEMPTS = 5


def alert_rows(
    article_id: int,
    alerts: Mapping[str, Sequence[str]],
    status: AlertStatus,
    note: str | None,
) -> list[AlertRow]:
    """New rows for an article's alerts (channel -> topics), for the caller's transaction."""
    return [
        AlertRow(
            article_id=article_id,
            channel=channel,
            topics=sorted(topics),
            status=status,
            last_error=note,
        )
        for channel, topics in alerts.items()
    ]


class Outbox:
    """Queued alerts and their delivery attempts."""

    def __init__(self, db: Database, *, max_attempts: int = _MAX_ATTEMPTS) -> None:
        self._db = db
        self._max_attempts = max_attempts

    def enqueue_alert(
        self, article_id: int, channel: str, topics: Sequence[str], *, revive_skipped: bool = False
    ) -> bool:
        """Queue an alert unless this article already has one for this channel.

        `revive_skipped` re-queues an alert that was held back (too old, alerts off): an explicit
        backfill with alerts asks for exactly those. Sent or failed alerts are never re-queued.
        """
        with self._db.session() as s:
            row = s.scalar(
                select(AlertRow).where(
                    AlertRow.article_id == article_id, AlertRow.channel == channel
                )
            )
            if row is not None:
                if revive_skipped and row.status == AlertStatus.SKIPPED:
                    row.status, row.topics, row.last_error = (
                        AlertStatus.PENDING,
                        sorted(topics),
                        None,
                    )
                    return True
                return False
            s.add(AlertRow(article_id=article_id, channel=channel, topics=sorted(topics)))
            try:
                s.flush()
            except IntegrityError:  # a concurrent worker queued it first
                return False
            return True

    def pending_alerts(self, limit: int) -> list[AlertJob]:
        with self._db.session() as s:
            rows = s.execute(
                select(AlertRow, ArticleRow, FeedRow.name)
                .join(ArticleRow, ArticleRow.id == AlertRow.article_id)
                .outerjoin(FeedRow, FeedRow.id == ArticleRow.feed_id)
                .where(AlertRow.status == AlertStatus.PENDING)
                .order_by(AlertRow.id)
                .limit(limit)
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
                        clean_url(article.url),  # tracking parameters stay out of alerts
                        feed,
                        article.published_at,
                        matches,
                    )
                )
            return jobs

    def count_alerts(self, status: AlertStatus) -> int:
        with self._db.session() as s:
            return (
                s.scalar(
                    select(func.count()).select_from(AlertRow).where(AlertRow.status == status)
                )
                or 0
            )

    def mark_sent(self, alert_id: int, *, destination: str, slack_ts: str | None) -> None:
        with self._db.session() as s:
            s.execute(
                update(AlertRow)
                .where(AlertRow.id == alert_id)
                .values(
                    status=AlertStatus.SENT,
                    sent_at=utcnow(),
                    destination=destination,
                    slack_ts=slack_ts,
                    attempts=AlertRow.attempts + 1,
                    last_error=None,
                )
            )

    def mark_attempt_failed(self, alert_id: int, error: str, *, permanent: bool) -> AlertStatus:
        """Count a refused send; park the alert as failed when retrying cannot help."""
        with self._db.session() as s:
            row = s.get(AlertRow, alert_id)
            if row is None:
                return AlertStatus.FAILED
            row.attempts += 1
            row.last_error = error[:2000]
            if permanent or row.attempts >= self._max_attempts:
                row.status = AlertStatus.FAILED
            return row.status

    def alert_counts(self) -> dict[str, dict[str, int]]:
        """Alerts per channel and status, statuses as stored (whatever statuses exist)."""
        status = type_coerce(AlertRow.status, String)
        out: dict[str, dict[str, int]] = {}
        with self._db.session() as s:
            for channel, state, count in s.execute(
                select(AlertRow.channel, status, func.count()).group_by(AlertRow.channel, status)
            ):
                out.setdefault(channel, {})[str(state)] = count
        return {c: dict(sorted(v.items())) for c, v in sorted(out.items())}
