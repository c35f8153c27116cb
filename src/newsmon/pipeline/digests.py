"""Posting digests: per channel, the period's stories, once per channel and period, paced like
alerts; a digest interrupted half-way resumes after the parts already posted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from newsmon.alerts import Message
from newsmon.corpus.claims import new_claim
from newsmon.digest import build_digest
from newsmon.pipeline.context import Context
from newsmon.pipeline.delivery import Clock, RealClock
from newsmon.slack import Kind, Pacer, Sender, SlackFailure

RATE_LIMIT_TRIES = 3


@dataclass
class DigestResult:
    since: datetime
    until: datetime
    dry_run: bool = False
    channels: dict[str, str] = field(default_factory=dict)  # channel -> what happened
    posted: int = 0  # messages posted
    previews: list[Message] = field(default_factory=list)  # a dry run's messages
    credential_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "channels": dict(self.channels),
            "messages_posted": self.posted,
        }

    def lines(self) -> list[str]:
        head = f"digest {self.since:%Y-%m-%d %H:%M} – {self.until:%Y-%m-%d %H:%M} UTC"
        if not self.channels:
            return [f"{head}: no stories"]
        return [head] + [f"  {c}: {what}" for c, what in self.channels.items()]


def run_digest(
    ctx: Context,
    sender: Sender,
    since: datetime,
    until: datetime,
    *,
    channel: str | None = None,
    dry_run: bool = False,
    clock: Clock | None = None,
) -> DigestResult:
    """Post each channel's digest for [since, until) unless it was posted already."""
    cfg = ctx.config.slack
    clock = clock or RealClock()
    pacer = Pacer(cfg.channel_interval_seconds, cfg.channel_burst, cfg.max_per_second)
    result = DigestResult(since, until, dry_run)
    digests = ctx.store.digests
    channels = [channel] if channel else digests.digest_channels(since, until)
    for name in channels:
        stories = digests.digest_stories(name, since, until)
        if not stories:
            result.channels[name] = "no stories"
            continue
        if dry_run:
            result.previews += build_digest(name, stories, since, until, cfg.zone())
            result.channels[name] = f"{len(stories)} stories (dry run: not posted)"
            continue
        claim = new_claim(timedelta(seconds=cfg.lease_seconds))
        turn = digests.begin_digest(claim, name, since, until)
        if turn is None:
            result.channels[name] = "already posted for this period (or being posted)"
            continue
        messages = build_digest(name, stories, since, until, cfg.zone(), turn.id)
        try:
            for n in range(turn.parts_sent, len(messages)):
                message = messages[n]
                ts = None
                if turn.resumed and n == turn.parts_sent and sender.can_look_up:
                    assert message.marker is not None
                    try:
                        ts = sender.find(name, message.marker, claim.started - timedelta(days=1))
                    except SlackFailure:
                        ts = None
                if ts is None:
                    ts = _post(sender, pacer, clock, message)
                    result.posted += 1
                digests.digest_progress(claim, turn.id, n + 1, ts, done=n + 1 == len(messages))
        except SlackFailure as failure:
            digests.release_digest(claim, turn.id, str(failure))
            result.channels[name] = f"not posted: {failure}"
            if failure.kind is Kind.CREDENTIAL:
                result.credential_error = str(failure)
                break
            continue
        result.channels[name] = f"{len(stories)} stories in {len(messages)} message(s)"
    return result


def _post(sender: Sender, pacer: Pacer, clock: Clock, message: Message) -> str | None:
    for _ in range(RATE_LIMIT_TRIES):
        wait = pacer.ready_at(message.channel, clock.monotonic()) - clock.monotonic()
        if wait > 0:
            clock.sleep(wait)
        pacer.take(message.channel, clock.monotonic())
        try:
            return sender.post(message).ts
        except SlackFailure as failure:
            if failure.kind is not Kind.RATE_LIMITED:
                raise
            pacer.hold(message.channel, clock.monotonic() + (failure.retry_after or 1.0))
    raise SlackFailure("Slack kept rate-limiting the digest", Kind.TRANSIENT)
