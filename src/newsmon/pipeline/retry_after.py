"""A channel left for a later pass because Slack asked it to wait (Retry-After) longer than the
pass holds its claim: the wait's end is kept for the channel (`SlackWaits`), so no later
pass or run, nor a digest or notice, posts there before it ends; what the pass says of it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy.exc import SQLAlchemyError

from newsmon.pipeline.context import Context
from newsmon.pipeline.outcomes import DeliveryOutcome, error_line
from newsmon.slack import Pacer

log = logging.getLogger(__name__)


def leave_channel(
    ctx: Context, pacer: Pacer, now: float, channel: str, line: str
) -> tuple[str, datetime | None]:
    """Keep when Slack's wait for `channel` ends (if it asked), for every sender and run: the
    pass's line saying why it waits (`line`), and the wait's end in the database's clock."""
    held = pacer.held_for(channel, now)
    if held <= 0:
        return f"{channel}: {line}", None
    until = ctx.store.slack_waits.wait(channel, held, line)
    return f"{channel}: {line} (not before {until:%Y-%m-%d %H:%M:%S} UTC)", until


def keep_wait(
    ctx: Context, pacer: Pacer, outcome: DeliveryOutcome, now: float, channel: str, line: str
) -> None:
    """`leave_channel`, said in the pass's outcome: its line, and the wait's end if kept."""
    said, until = leave_channel(ctx, pacer, now, channel, line)
    outcome.errors.append(said)
    if until is not None:
        outcome.waits[channel] = until


class LeftWhy(Enum):
    """Why a message went back untried, its post not covered by its claim."""

    RETRY_AFTER = "retry_after"  # Slack asked the channel to wait: kept for every sender
    PACE = "pace"  # the channel's own interval outlasts what the claim leaves
    SLOW = "slow"  # Slack answered so slowly the claim is nearly over


@dataclass(frozen=True)
class Left:
    """A channel's messages given back for a later pass: why, the line saying it, and the end
    of Slack's wait when one was kept (`SlackWaits`)."""

    why: LeftWhy
    line: str
    until: datetime | None = None

    @property
    def channel_waits(self) -> bool:
        """The channel waits for the rest of the pass (a slow answer holds no other post)."""
        return self.why is not LeftWhy.SLOW


def leave_untried(
    ctx: Context, pacer: Pacer, now: float, channel: str, what: str, claim_short: bool
) -> Left:
    """`what` (messages of `channel`) given back untried, its next post not covered by its
    claim: posted after the claim lapsed, it could follow another pass's claim, lookup and
    post — twice. A Retry-After still in force is kept for the channel whether or not the
    claim ran short too (else the next pass, digest or notice posts into it, refused again);
    without one, the channel's pace outlasts the claim, or (`claim_short`) Slack was slow."""
    held = pacer.held_for(channel, now)
    if held > 0:
        line = (
            f"Slack asked to wait {held:.0f}s (Retry-After), longer than this pass holds its "
            f"claim: {what} left for a later pass"
        )
        said, until = leave_channel(ctx, pacer, now, channel, line)
        return Left(LeftWhy.RETRY_AFTER, said, until)
    if claim_short:
        return Left(
            LeftWhy.SLOW,
            f"{channel}: Slack answered too slowly for this pass's claim: {what} "
            "left for a later pass",
        )
    return Left(
        LeftWhy.PACE,
        f"{channel}: its pace outlasts this pass's claim: {what} left for a later pass",
    )


def left_for_later(
    ctx: Context,
    pacer: Pacer,
    outcome: DeliveryOutcome,
    now: float,
    channel: str,
    count: int,
    claim_short: bool,
) -> bool:
    """`leave_untried` for `count` alerts or replies, said in the pass's outcome; True when the
    channel waits for the rest of the pass."""
    left = leave_untried(ctx, pacer, now, channel, f"{count} message(s)", claim_short)
    outcome.errors.append(left.line)
    if left.until is not None:
        outcome.waits[channel] = left.until
    return left.channel_waits


def keep_holds(ctx: Context, pacer: Pacer, outcome: DeliveryOutcome, now: float) -> None:
    """At a pass's end, keep each Retry-After it meant to wait out but did not (the pass ended
    first: failures in a row, credentials, a stop): what it gave back of those channels would
    otherwise go out into the wait, from its digests or the next pass. Never raises."""
    for channel, held in pacer.holding(now).items():
        if channel in outcome.waits:
            continue
        line = f"Slack asked to wait {held:.0f}s (Retry-After); the pass ended before it was over"
        try:
            keep_wait(ctx, pacer, outcome, now, channel, line)
        except SQLAlchemyError as exc:  # the pass already said the database refused
            log.warning("%s: Slack's wait not kept: %s", channel, error_line(exc))
