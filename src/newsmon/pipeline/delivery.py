"""Delivery: send queued alerts through a sender, oldest first, and record what Slack accepted."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsmon import alerts as alerting
from newsmon.pipeline.claims import DELIVERY_LEASE, DELIVERY_WAIT, new_owner, turn
from newsmon.pipeline.context import Context


@dataclass
class DeliveryOutcome:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)
    sender: str = ""


def deliver_pending(
    ctx: Context, sender: alerting.Sender, limit: int | None = None
) -> DeliveryOutcome:
    """Send queued alerts, oldest first; an alert is marked sent only after Slack accepted it."""
    outcome = DeliveryOutcome(sender=sender.name)
    blocked_channels: set[str] = set()
    jobs = ctx.store.pending_alerts(limit or ctx.config.slack.max_per_pass)
    for i, job in enumerate(jobs):
        if job.channel in blocked_channels:
            outcome.deferred += 1
            continue
        message = alerting.build_message(job, ctx.rules.labels)
        try:
            ts = sender.send(message)
        except alerting.DeliveryError as exc:
            outcome.errors.append(f"{job.channel}: {exc}")
            if exc.scope == "sender":  # nothing else will get through this pass
                outcome.deferred += len(jobs) - i
                break
            if exc.scope == "channel":
                blocked_channels.add(job.channel)
                outcome.deferred += 1
                continue
            ctx.store.mark_attempt_failed(job.id, str(exc), permanent=True)
            outcome.failed += 1
            continue
        ctx.store.mark_sent(job.id, destination=sender.name, slack_ts=ts)
        outcome.sent += 1
    return outcome


def deliver_in_turn(
    ctx: Context, sender: alerting.Sender, limit: int | None = None
) -> DeliveryOutcome:
    """`deliver_pending` while holding the corpus's delivery lease, so passes running at once
    never send the same alert twice; a pass that waits too long leaves its alerts queued."""
    owner = ctx.claim.owner if ctx.claim else new_owner()
    with turn(ctx.store, "delivery", owner, lease=DELIVERY_LEASE, wait=DELIVERY_WAIT) as mine:
        if not mine:
            return DeliveryOutcome(sender=sender.name)
        return deliver_pending(ctx, sender, limit)
