"""Health notices in the operations channel (`slack.ops_channel`): at the end of a monitoring
pass, the problems its health check found are compared with those announced before
(`newsmon.notices.plan_notices`); the notices owed are recorded, then posted — each once.

Exactly once, like alerts and digests: a notice row is claimed before it is posted (owner,
lease); a post whose answer was lost, or whose owner died before recording it, is looked up in
the channel (or its thread) by its metadata marker before it is posted again; a lookup that
fails leaves it for the next pass rather than risk a second post. Any failure ends this pass's
posting with one line for the log; what was not posted goes out with a later pass. At most
`MAX_POSTS` notices are posted a pass, paced like alerts.

A channel Slack refuses for a reason that does not heal by itself (`not_in_channel`,
`channel_not_found`, `is_archived`: `Kind.CHANNEL`), or refuses the token or is not trusted
(`Kind.CREDENTIAL`, for a post or the lookup of a lost one: a pass with no alert owed meets it only
here), is blocked as an alert channel is (`Outbox.set_channel_state`), which `newsmon health`
reports (`ops_channel_refused`): a warning in the log of a pass nobody reads was all it left. Its
notices stay pending, one is tried a pass, and the first that goes through (or that Slack refuses
for the message itself) unblocks the channel; the rest follow, oldest first, `MAX_POSTS` a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from newsmon.clock import utcnow
from newsmon.health import HealthReport
from newsmon.notices import FLAP_WINDOW, notice_message, plan_notices
from newsmon.pipeline.context import Context
from newsmon.pipeline.delivery_items import post_or_text
from newsmon.pipeline.leases import Clock, RealClock, claim_covers
from newsmon.pipeline.retry_after import leave_untried
from newsmon.slack import CredentialError, Kind, Pacer, Sender, SlackFailure, make_sender

# Failures that do not heal by themselves: the channel, or the token or TLS certificate
# (`Cause.UNTRUSTED`). With no alert owed, a notice is the pass's only post: its credential
# failure was one warning line, and `newsmon health` reported nothing.
_LASTING = frozenset({Kind.CHANNEL, Kind.CREDENTIAL})
MAX_POSTS = 6  # notices posted in one pass: a backlog (after a Slack outage) drains over passes


@dataclass
class NoticeOutcome:
    opened: int = 0  # problems announced by this pass's decision
    flapping: int = 0  # of which back soon after they were resolved: announced as flapping
    resolved: int = 0  # problems found gone
    steady: int = 0  # flapping problems said to be there for good now (each once)
    posted: int = 0  # notices posted
    recovered: int = 0  # notices found already posted (an earlier attempt's lost answer)
    unchecked: int = 0  # posted although their lookup failed, past the hold
    refused: int = 0  # refused by Slack for good (`thread_not_found`, `msg_too_long`): failed
    as_text: int = 0  # of `posted`, those whose blocks Slack refused, posted as plain text
    blocked: str | None = None  # Slack refuses the channel itself (`not_in_channel`…): why
    error: str | None = None  # why posting stopped early, one line
    waits_until: datetime | None = None  # Slack asked the channel to wait (Retry-After) till
    off: str | None = None  # why no notice was considered at all

    @property
    def changed(self) -> bool:
        return bool(
            self.opened
            or self.resolved
            or self.steady
            or self.posted
            or self.recovered
            or self.refused
        )

    def line(self) -> str:
        if self.off:
            return f"health notices off: {self.off}"
        text = (
            f"health notices: {self.opened} problem(s) announced, {self.resolved} resolved; "
            f"{self.posted} notice(s) posted"
        )
        if self.flapping:
            text += f", {self.flapping} problem(s) flapping (announced once, resolved when stable)"
        if self.steady:
            text += f", {self.steady} flapping problem(s) steady now (said once)"
        if self.recovered:
            text += f", {self.recovered} found already posted"
        if self.unchecked:
            text += f", {self.unchecked} posted unchecked (may show twice)"
        if self.as_text:
            text += f", {self.as_text} posted as plain text (Slack refused their blocks)"
        if self.refused:
            text += f", {self.refused} refused by Slack for good"
        if self.error:
            text += f"; stopped: {self.error}"
        if self.waits_until is not None:  # a wait, not a failure: the notices stay queued
            text += "; Slack asked the channel to wait (Retry-After) until "
            text += f"{self.waits_until:%Y-%m-%d %H:%M:%S} UTC: the rest wait for then"
        if self.blocked:
            text += f"; the channel is refused ({self.blocked}): `newsmon health` reports it"
        return text


def announce_health(
    ctx: Context,
    report: HealthReport,
    sender: Sender | None = None,
    clock: Clock | None = None,
    *,
    resolve: bool = True,
) -> NoticeOutcome:
    """Record the notices `report` calls for in the operations channel and post those waiting
    (`resolve=False`: only problems that appeared, `plan_notices`).

    Nothing at all without `slack.ops_channel`, and nothing without the Web API (a bot token):
    a webhook posts to its own fixed channel and neither it nor the console can tell whether a
    lost post went out."""
    channel = ctx.config.slack.ops_channel
    if channel is None:
        return NoticeOutcome(off="no slack.ops_channel")
    if sender is None:
        try:
            sender = make_sender(ctx.secrets, ctx.config.slack)
        except CredentialError as exc:
            return NoticeOutcome(off=str(exc))
    if not sender.can_look_up:
        return NoticeOutcome(
            off=f"they need SLACK_BOT_TOKEN (the {sender.name} sender cannot post to {channel})"
        )
    zone = ctx.config.slack.zone()
    plan = ctx.store.notices.record(
        lambda announced, resolved: plan_notices(
            report, announced, zone, resolved, resolve=resolve
        ),
        channel,
        report.checked_at,
        recent=FLAP_WINDOW,
    )
    outcome = NoticeOutcome(
        opened=len(plan.opened),
        resolved=len(plan.resolved),
        flapping=len(plan.flapping),
        steady=len(plan.steady),
    )
    post_notices(ctx, sender, channel, outcome, clock or RealClock())
    return outcome


def post_notices(
    ctx: Context, sender: Sender, channel: str, outcome: NoticeOutcome, clock: Clock
) -> None:
    """Post the notices waiting for `channel`, oldest first, at most `MAX_POSTS`."""
    cfg = ctx.config.slack
    notices = ctx.store.notices
    pacer = Pacer(cfg.channel_interval_seconds, cfg.channel_burst, cfg.max_per_second)
    remember = getattr(sender, "remember", None)
    known = ctx.store.outbox.channel_id(channel)
    if remember is not None and known:
        remember(channel, known)
    block = ctx.store.outbox.channel_blocks().get(channel)
    outcome.blocked = block.reason if block else None
    if (waiting := ctx.store.slack_waits.active().get(channel)) is not None:
        outcome.waits_until = waiting.until  # kept by any sender, any run: nothing posted into it
        return
    tried: set[int] = set()
    while outcome.posted + outcome.recovered < MAX_POSTS:
        claim = ctx.store.new_claim(timedelta(seconds=cfg.lease_seconds))
        job = notices.claim_notice(claim, channel, tried)
        if job is None:
            return
        tried.add(job.id)
        message = notice_message(job.id, job.channel, job.text, job.fallback, job.thread_ts)
        assert message.marker is not None
        if job.unknown_since is not None:
            try:
                ts = sender.find(channel, message.marker, job.unknown_since, job.thread_ts)
            except SlackFailure as failure:
                # as for alerts: held until `slack.unchecked_post_after_minutes` after the
                # unsure attempt, then posted unchecked (a notice shown twice beats none)
                post_from = cfg.unchecked_from(job.unknown_since)
                lasting = failure.kind is Kind.CREDENTIAL  # a post would meet it too
                if lasting or post_from is None or utcnow() < post_from:
                    notices.release_notice(claim, job.id, job.unknown_since)
                    outcome.error = (
                        f"notice #{job.id} may have been posted and could not be looked up "
                        f"({failure}): left for the next pass"
                    )
                    if lasting:
                        _block(ctx, channel, outcome, str(failure))
                    return
                outcome.unchecked += 1
                ts = None
            if ts is not None:
                notices.notice_sent(claim, job.id, ts)
                outcome.recovered += 1
                _unblock(ctx, channel, outcome, None)
                continue
        now = clock.monotonic()
        wait = max(pacer.ready_at(channel, now) - now, 0.0)
        if not claim_covers(claim, wait, cfg.timeout):  # posted after it: maybe twice
            notices.release_notice(claim, job.id, job.unknown_since)
            short = not claim_covers(claim, 0.0, cfg.timeout)
            left = leave_untried(ctx, pacer, now, channel, f"notice #{job.id}", short)
            outcome.error = left.line
            if left.until is not None:  # kept for the channel: no post into Slack's wait
                outcome.waits_until = left.until
            return
        if wait > 0:
            clock.sleep(wait)
        pacer.take(channel, clock.monotonic())
        try:
            posted, as_text = post_or_text(sender, message)  # blocks refused: its text alone
        except SlackFailure as failure:
            if failure.kind is Kind.MESSAGE:  # never postable: it must not block the queue
                notices.notice_refused(claim, job.id, str(failure))
                # Slack judged the message, not the channel: a block kept now could outlast
                # every notice left to lift it (a channel still refused blocks again)
                _unblock(ctx, channel, outcome, None)
                outcome.refused += 1
                outcome.error = f"notice #{job.id} refused by Slack for good ({failure})"
                continue
            if failure.kind is Kind.RATE_LIMITED:  # not posted, no attempt: kept for all
                notices.release_notice(claim, job.id, job.unknown_since)
                asked = failure.retry_after or 1.0
                outcome.waits_until = ctx.store.slack_waits.wait(channel, asked, str(failure))
                return
            unknown = job.unknown_since or (claim.started if failure.maybe_posted else None)
            notices.notice_failed(claim, job.id, str(failure), unknown)
            if failure.kind in _LASTING:
                _block(ctx, channel, outcome, str(failure))
            outcome.error = f"notice #{job.id} not posted to {channel} ({failure}): next pass"
            return
        _unblock(ctx, channel, outcome, posted.channel_id)
        if notices.notice_sent(claim, job.id, posted.ts):
            outcome.posted += 1
            outcome.as_text += as_text is not None
        else:
            outcome.error = (
                f"notice #{job.id} posted after its claim expired; its next owner finds it"
            )
            return


def _block(ctx: Context, channel: str, outcome: NoticeOutcome, reason: str) -> None:
    """Slack refuses the channel, the token or its certificate: `newsmon health` reports it."""
    if outcome.blocked != reason:
        ctx.store.outbox.set_channel_state(channel, blocked=reason)
        outcome.blocked = reason


def _unblock(ctx: Context, channel: str, outcome: NoticeOutcome, slack_id: str | None) -> None:
    """A notice went through: the channel Slack refused takes posts again."""
    if outcome.blocked is not None:
        ctx.store.outbox.set_channel_state(channel, slack_id=slack_id)
        outcome.blocked = None
