"""A Slack channel's spellings: the configuration may name a channel (`#news`) and later give
its ID (`C0123ABCD`), or the reverse, and Slack renames channels. Alerts, replies and digests
recorded under any of them are one channel's: in what announced a story there, its digest and
`newsmon alerts --channel`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsmon.corpus.schema import SlackChannelRow


@dataclass(frozen=True)
class Spellings:
    """Every spelling of one channel (names and IDs), and its IDs alone."""

    every: list[str]
    ids: list[str]


def spellings(s: Session, channel: str) -> Spellings:
    """The spellings of `channel`, known through the ID Slack answered for each name
    (`slack_channels`): the channel given (by its ID, that is the ID Slack answers), its ID,
    and every name that had that ID."""
    ids = {channel}
    known = s.scalar(select(SlackChannelRow.slack_id).where(SlackChannelRow.channel == channel))
    if known:
        ids.add(known)
    names = set(s.scalars(select(SlackChannelRow.channel).where(SlackChannelRow.slack_id.in_(ids))))
    return Spellings(sorted(ids | names), sorted(ids))
