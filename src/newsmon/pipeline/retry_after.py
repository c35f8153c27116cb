"""A channel left for a later pass because Slack asked it to wait (Retry-After) longer than the
pass holds its claim: the wait's end is kept for the channel (`SlackWaits`), so no later
pass or run, nor a digest or notice, posts there before it ends; what the pass says of it."""

from __future__ import annotations

from datetime import datetime

from newsmon.pipeline.context import Context
from newsmon.pipeline.outcomes import DeliveryOutcome
from newsmon.slack import Pacer


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


def lease_over(outcome: DeliveryOutcome, channel: str, count: int) -> None:
    """Slack answered so slowly that the claim would end before the next post: posted after
    it, a message could follow another delivery's claim, lookup and post — twice."""
    outcome.errors.append(
        f"{channel}: Slack answered too slowly for this pass's claim: {count} message(s) "
        "left for a later pass"
    )
