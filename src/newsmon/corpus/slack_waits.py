"""Slack's Retry-After kept across passes: a channel Slack asked to wait longer than a pass
holds its claim keeps the wait's end on its queued alerts and thread replies (`next_attempt_at`,
no schema change), so no later pass, run or `newsmon run` posts there before it ends.

No attempt is counted and the status stays pending: a wait is neither a failure nor a try.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, update

from newsmon.corpus.engine import Database
from newsmon.corpus.records import AlertStatus, Claim
from newsmon.corpus.schema import AlertRow, ReplyRow


class SlackWaits:
    """Channels told to wait (Retry-After), kept on the rows that would be posted there."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def now(self) -> datetime:
        """The database's clock, which `next_attempt_at` is compared in (`claims.claimable`)."""
        return self._db.now()

    def wait(self, channel: str, seconds: float, why: str, claim: Claim) -> datetime:
        """Hold `channel`'s queued alerts and replies, and those `claim` still holds (given
        back next), until `seconds` from now (a later retry time already set stays); `why` is
        shown as their last error. The wait's end."""
        until = self._db.now() + timedelta(seconds=seconds)
        with self._db.session() as s:
            for model in (AlertRow, ReplyRow):
                later = case(
                    (model.next_attempt_at.is_(None), until),
                    (model.next_attempt_at < until, until),
                    else_=model.next_attempt_at,
                )
                held = (model.status == AlertStatus.SENDING) & (model.claimed_by == claim.token)
                s.execute(
                    update(model)
                    .where(model.channel == channel, (model.status == AlertStatus.PENDING) | held)
                    .values(next_attempt_at=later, last_error=why[:2000])
                    .execution_options(synchronize_session=False)
                )
        return until
