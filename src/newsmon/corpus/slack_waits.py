"""Slack's Retry-After kept across passes and runs: one record per channel (`slack_channels`:
until when, since when, why) that every sender reads before posting: alert and reply claims
leave the channel's rows alone (`waiting_channels`), digests and ops notices hold their pacer
(`SlackWaits.active`). Kept before on the rows queued then, a later pass's new alerts, a
separate digest run and the notices posted into the wait, refused again.

No attempt is counted and nothing's status or last error changes: a wait is neither a failure
nor a try. A wait that has ended, or that ends further ahead than any Retry-After is read
(`MAX_RETRY_AFTER`: a database clock set back), is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newsmon.corpus.engine import Database, shared_now
from newsmon.corpus.schema import SlackChannelRow
from newsmon.corpus.spellings import spellings


def _longest() -> float:
    """The longest Retry-After newsmon reads (`slack.errors.MAX_RETRY_AFTER`); imported when
    called: `newsmon.slack` imports the corpus through its senders."""
    from newsmon.slack.errors import MAX_RETRY_AFTER

    return MAX_RETRY_AFTER


@dataclass(frozen=True)
class ChannelWait:
    """Slack asked `channel` (as spelled when it did) to wait until `until`, since `since`."""

    channel: str
    until: datetime
    since: datetime
    reason: str


def _current(s: Session, now: datetime) -> list[ChannelWait]:
    rows = s.scalars(
        select(SlackChannelRow).where(
            SlackChannelRow.wait_until > now,
            SlackChannelRow.wait_until <= now + timedelta(seconds=_longest()),
        )
    )
    return [
        ChannelWait(r.channel, r.wait_until, r.wait_since or now, r.wait_reason or "")
        for r in rows
        if r.wait_until is not None
    ]


def waiting_channels(s: Session, now: datetime) -> dict[str, ChannelWait]:
    """Each spelling (name, ID) of a channel Slack asked to wait at `now` (database clock)."""
    found: dict[str, ChannelWait] = {}
    for wait in _current(s, now):
        for spelling in spellings(s, wait.channel).every:
            if spelling not in found or found[spelling].until < wait.until:
                found[spelling] = wait
    return found


class SlackWaits:
    """Channels told to wait (Retry-After), one record each."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def now(self) -> datetime:
        """The database's clock, which a wait's end is kept and compared in."""
        return self._db.now()

    def wait(self, channel: str, seconds: float, why: str) -> datetime:
        """Keep that Slack asked `channel` to wait `seconds` from now (at most a day, as a
        Retry-After is read); a later end already kept stays, as does since when it waits.
        The wait's end."""
        seconds = min(max(0.0, seconds), _longest())
        for _ in range(2):  # a concurrent first insert of the row: then update it
            try:
                with self._db.session() as s:
                    now = shared_now(s)
                    until = now + timedelta(seconds=seconds)
                    row = s.get(SlackChannelRow, channel)
                    if row is None:
                        row = SlackChannelRow(channel=channel, updated_at=now)
                        s.add(row)
                    ongoing = row.wait_until is not None and now < row.wait_until
                    if not ongoing or row.wait_since is None:
                        row.wait_since = now
                    if ongoing and row.wait_until is not None and row.wait_until > until:
                        return row.wait_until
                    row.wait_until, row.wait_reason = until, why[:2000]
                return until
            except IntegrityError:
                continue
        return until

    def active(self) -> dict[str, ChannelWait]:
        """The channels waiting now, under each of their spellings."""
        with self._db.session() as s:
            return waiting_channels(s, shared_now(s))

    def listed(self) -> list[ChannelWait]:
        """The waits in force now, one per channel as spelled when Slack asked (`health`)."""
        with self._db.session() as s:
            return sorted(_current(s, shared_now(s)), key=lambda w: w.channel)
