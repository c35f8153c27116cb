"""Delivery: claim queued alerts (then thread replies), post them paced and channel by channel,
and record what Slack accepted — the one path monitor, backfill and the CLI deliver through.

Guarantees, and their limits, are in the README ("Slack delivery"): an alert is claimed before
it is posted, so two deliveries never post it both; a post whose outcome is unknown (a crash,
a lost answer) is looked up in the channel's history by its metadata before being posted again.
A lookup that fails holds the message for a later pass (delay, not repeat), until
`slack.unchecked_post_after_minutes` after the unsure attempt; then it is posted unchecked.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from newsmon import alerts as alerting
from newsmon.alerts import Marker
from newsmon.clock import utcnow
from newsmon.corpus.claims import Filter
from newsmon.corpus.records import Claim, ReplyJob
from newsmon.pipeline.checkup import unreadable_in_use
from newsmon.pipeline.context import Context
from newsmon.pipeline.delivery_items import (
    Item,
    Unchecked,
    post_or_text,
    stop_line,
    unchecked_lines,
)
from newsmon.pipeline.leases import Clock, RealClock, claim_covers, pause, retry_time
from newsmon.pipeline.lookups import LASTING_LOOKUP_FAILURES, Looked, Lookup, look_up_replies
from newsmon.pipeline.outcomes import DeliveryOutcome, error_line
from newsmon.pipeline.retry_after import keep_holds, keep_wait, left_for_later
from newsmon.pipeline.threads import LostThreads
from newsmon.slack import CredentialError, Kind, Pacer, Sender, SlackFailure, make_sender
from newsmon.slack.errors import Cause

log = logging.getLogger(__name__)
BATCH = 10  # alerts claimed at a time: a claim's lease covers one batch's posting
RATE_LIMITS_PER_ITEM = 3  # 429s for one message in a pass before it waits for the next pass


class _Stop(Exception):
    """Delivery ends for this pass (credentials refused, or Slack keeps failing)."""


class Delivery:
    """One delivery pass: claims, the paced round-robin schedule, and what each answer means."""

    def __init__(self, ctx: Context, sender: Sender, clock: Clock | None = None) -> None:
        self.ctx, self.sender, self.clock = ctx, sender, clock or RealClock()
        cfg = ctx.config.slack
        self.cfg = cfg
        self.pacer = Pacer(
            cfg.channel_interval_seconds,
            cfg.channel_burst,
            cfg.max_per_second,
            max(1, int(cfg.max_per_second)),
        )
        self.lease = timedelta(seconds=cfg.lease_seconds)
        self.outcome = DeliveryOutcome(sender=sender.name)
        self.tried: set[int] = set()
        self.failures_in_row = 0
        self.unreached_in_row = 0  # of those, the requests that never reached Slack
        self.unknown_in_row: list[str] = []  # of those, Slack's error codes newsmon does not know
        self.lookup_cause: Cause | None = None  # why the last lookup failed
        self.known_ids: dict[str, str] = {}
        self.waiting: set[str] = set()  # channels left for a later pass (a long Retry-After)
        self.unchecked: dict[str, Unchecked] = {}  # channel -> checks that failed this pass
        self.looked: set[str] = set()  # channels whose history was read (or tried) this pass
        # replies that cannot go in their thread (README "Story threads")
        self.threads = LostThreads(ctx.store.replies, sender, self.outcome.errors)
        self.zone = cfg.zone()
        self.webhook_channels = dict(cfg.channels) if sender.name == "webhook" else None

    # --- the pass -----------------------------------------------------------------------------

    def run(self, limit: int) -> DeliveryOutcome:
        outbox = self.ctx.store.outbox
        blocks = outbox.channel_blocks()
        self.outcome.blocked = {c: b.reason for c, b in blocks.items()}
        unreadable = unreadable_in_use(self.ctx.store, self.ctx.config)
        self.outcome.history_errors = {c: b.reason for c, b in unreadable.items()}
        try:
            # one probe per blocked channel: when it gets through, the channel works again; a
            # reply where no alert waits (else its replies waited for the next story's alert)
            threads = self.sender.can_thread
            for channel in blocks:
                if not self._alerts(limit, Filter(only_channel=channel), 1) and threads:
                    self._replies(Filter(only_channel=channel), 1)
            budget = limit - self.outcome.sent - self.outcome.failed
            while budget > 0:
                skip = set(self.outcome.blocked) | self.waiting
                done = self._alerts(budget, Filter(skip_channels=skip, skip_ids=self.tried), BATCH)
                if not done:
                    break
                budget -= done
            self.tried.clear()
            # a sender that cannot thread (a webhook) would post replies at a channel's top
            # level, away from their story: they wait for a pass through the Web API
            budget = limit if threads else 0
            while budget > 0:
                skip = set(self.outcome.blocked) | self.waiting
                done = self._replies(
                    Filter(skip_channels=skip, skip_ids=self.tried), min(budget, BATCH)
                )
                if not done:
                    break
                budget -= done
        except _Stop:
            pass
        except SQLAlchemyError as exc:  # a claim refused: nothing held, nothing to give back
            self._store_refused(exc)
        keep_holds(self.ctx, self.pacer, self.outcome, self.clock.monotonic())
        if self.outcome.credential_error is None and not self.ctx.stopping.is_set():
            for channel in list(self.outcome.history_errors):
                if channel not in self.looked:
                    self._probe(channel)
        # one line per channel whose checks failed: what was held, what went out unchecked
        self.outcome.errors.extend(unchecked_lines(self.unchecked))
        return self.outcome

    def _alerts(self, budget: int, filt: Filter, size: int) -> int:
        claim = self.ctx.store.new_claim(self.lease)
        jobs = self.ctx.store.outbox.claim_alerts(claim, min(size, budget), filt)
        items = [
            Item(
                claim,
                job,
                alerting.build_message(
                    job, self.ctx.rules.labels, self.zone, self.webhook_channels
                ),
                job.unknown_since,
            )
            for job in jobs
        ]
        self._schedule(items)
        return len(items)

    def _replies(self, filt: Filter, size: int) -> int:
        claim = self.ctx.store.new_claim(self.lease)
        jobs = self.ctx.store.replies.claim_replies(claim, size, filt)
        self._schedule([Item(claim, j, alerting.build_reply(j), j.unknown_since) for j in jobs])
        return len(jobs)

    # --- the schedule -------------------------------------------------------------------------

    def _schedule(self, items: list[Item]) -> None:
        """Send items channel by channel in turn, each channel paced, the earliest ready first:
        a channel that waits (Retry-After, its pace) never holds back the others."""
        queues: dict[str, deque[Item]] = {}
        for item in items:
            self.tried.update(item.ids)
            queues.setdefault(item.channel, deque()).append(item)
        turn = {c: i for i, c in enumerate(queues)}
        try:
            while queues:
                now = self.clock.monotonic()
                channel = min(queues, key=lambda c: (self.pacer.ready_at(c, now), turn[c]))
                wait = self.pacer.ready_at(channel, now) - now
                queue = queues[channel]
                if not self._may_wait(queue[0].claim, max(wait, 0.0)):
                    self._give_back(list(queue))
                    short = not self._may_wait(queue[0].claim, 0.0)
                    now = self.clock.monotonic()
                    args = (self.ctx, self.pacer, self.outcome, now, channel, len(queue), short)
                    if left_for_later(*args):
                        self.waiting.add(channel)
                    del queues[channel]
                    continue
                if not pause(self.clock, wait, self.ctx.stopping):  # stopped: the rest go back
                    raise _Stop
                item = queue.popleft()
                try:
                    keep = self._send(item)
                except SQLAlchemyError as exc:
                    queue.appendleft(item)  # given back with the rest, flagged if posted
                    self._store_refused(exc)
                    raise _Stop from None
                if keep is _AGAIN:
                    queue.appendleft(item)
                elif keep is _CHANNEL_DONE:
                    self._give_back(list(queue))
                    queue.clear()
                turn[channel] = max(turn.values()) + 1  # round robin among the ready
                if not queue:
                    del queues[channel]
        except _Stop:
            self._give_back([i for q in queues.values() for i in q])
            raise

    def _may_wait(self, claim: Claim, wait: float) -> bool:
        return claim_covers(claim, wait, self.cfg.timeout)

    def _give_back(self, items: list[Item]) -> None:
        """Release `items` untried; one the database refuses waits for its lease to lapse."""
        for item in items:
            try:
                self._release(item)
            except SQLAlchemyError as exc:
                log.warning("message #%s not given back: %s", item.job.id, error_line(exc))
            self.outcome.deferred += 1

    def _store_refused(self, exc: SQLAlchemyError) -> None:
        """The database refused a claim or a record (SQLite locked past its busy timeout by
        another process, PostgreSQL down): one line; the caller stops delivery for this pass,
        what it holds given back (a post not recorded flagged as maybe posted: the next pass
        finds it in the channel's history instead of posting it twice)."""
        line = f"the database refused a write: {error_line(exc)}; delivery stops for this pass"
        log.warning("%s", line)
        self.outcome.errors.append(line)

    def _release(self, item: Item) -> None:
        if item.is_reply:
            self.ctx.store.replies.release_reply(item.claim, item.ids, item.unknown_since)
        else:
            self.ctx.store.outbox.release_alert(item.claim, item.job.id, item.unknown_since)

    # --- one message ---------------------------------------------------------------------------

    def _send(self, item: Item) -> object:
        if isinstance(item.job, ReplyJob) and self.threads.skip(item.claim, item.job):
            return _NEXT
        unchecked = False
        if item.unknown_since is not None and self.sender.can_look_up:
            verdict, found = self._look_up(item)
            if verdict is Lookup.FOUND:
                if not item.is_reply:  # a reply's lookup recorded the rows it found
                    self._record_sent(item, found, None)
                    self.outcome.recovered += 1
                return _NEXT
            if verdict is Lookup.GONE:
                return _NEXT
            if verdict is Lookup.FAILED:
                post_from = self.cfg.unchecked_from(item.unknown_since)
                if post_from is None or utcnow() < post_from:
                    self._hold(item, post_from)
                    return _NEXT
                unchecked = True
            if not self._may_wait(item.claim, 0.0):  # the lookup took the rest of the claim
                return _AGAIN  # the schedule gives the channel's messages back
        self.pacer.take(item.channel, self.clock.monotonic())
        try:
            posted, refused = post_or_text(self.sender, item.message)
        except SlackFailure as failure:
            return self._failed(item, failure)
        self.failures_in_row = self.unreached_in_row = 0
        self.unknown_in_row.clear()
        if refused is not None:
            self.outcome.errors.append(f"{item.channel}: {refused}; posted as plain text instead")
        if posted.unthreaded and isinstance(item.job, ReplyJob):
            self.threads.take_back(item.claim, item.job, posted)  # at the top level: undone
            return _NEXT
        self._record_sent(item, posted.ts, posted.channel_id)
        if unchecked:
            self.outcome.unchecked += 1
            self.unchecked[item.channel].posted += 1
        if item.channel in self.outcome.blocked:  # a probe got through
            del self.outcome.blocked[item.channel]
            self.ctx.store.outbox.set_channel_state(item.channel, slack_id=posted.channel_id)
        elif posted.channel_id and not item.is_reply:
            self._learn_channel(item.channel, posted.channel_id)
        return _NEXT

    def _learn_channel(self, channel: str, channel_id: str) -> None:
        """Remember the ID Slack answered for a channel name: history lookups need IDs."""
        if channel_id != self.known_ids.get(channel):
            self.known_ids[channel] = channel_id
            self.ctx.store.outbox.set_channel_state(channel, slack_id=channel_id)

    def _look_up(self, item: Item) -> tuple[Lookup, str | None]:
        """Was it posted after all? FAILED when the history could not be read."""
        assert item.unknown_since is not None and item.message.marker is not None
        self._know_id(item.channel)
        thread = item.message.thread_ts
        where = item.message.channel if item.is_reply else item.channel  # a reply: thread's ID
        ts, looked = None, None
        try:
            if isinstance(item.job, ReplyJob):  # the story's rows: one read of its thread
                replies = self.ctx.store.replies
                looked = look_up_replies(self.sender, replies, item.claim, item.job, where)
            else:
                ts = self.sender.find(where, item.message.marker, item.unknown_since, thread)
        except SlackFailure as failure:
            if failure.kind is Kind.CREDENTIAL:
                self._release(item)
                self._stop_credentials(str(failure))
            if self.threads.refused(item.claim, item.job, failure, item.message.marker):
                self._history_read(item.channel)  # the thread is gone; no scope is missing
                return Lookup.GONE, None
            self._lookup_failed(item.channel, failure)
            return Lookup.FAILED, None
        self._history_read(item.channel)
        if looked is not None:
            return self._rest(item, looked), None
        return (Lookup.FOUND, ts) if ts is not None else (Lookup.ABSENT, None)

    def _rest(self, item: Item, looked: Looked) -> Lookup:
        """Count a grouped reply's rows found posted; the item is now the rest, as one post."""
        self.outcome.replies_sent += looked.recorded
        self.outcome.recovered += looked.found
        if looked.rest is None:
            return Lookup.FOUND
        item.job, item.message = looked.rest, alerting.build_reply(looked.rest)
        return Lookup.ABSENT

    def _know_id(self, channel: str) -> None:
        """Tell the sender the channel's ID learnt earlier: history wants IDs."""
        self.looked.add(channel)
        remember: Callable[[str, str], None] | None = getattr(self.sender, "remember", None)
        known = self.ctx.store.outbox.channel_id(channel)
        if remember is not None and known:
            remember(channel, known)

    def _lookup_failed(self, channel: str, failure: SlackFailure) -> None:
        self.lookup_cause = failure.cause
        reason = str(failure)
        self.unchecked.setdefault(channel, Unchecked(reason)).reason = reason
        if failure.kind in LASTING_LOOKUP_FAILURES:
            if self.outcome.history_errors.get(channel) != reason:
                self.ctx.store.outbox.set_history_error(channel, reason)
            self.outcome.history_errors[channel] = reason

    def _history_read(self, channel: str) -> None:
        if self.outcome.history_errors.pop(channel, None) is not None:
            self.ctx.store.outbox.set_history_error(channel, None)

    def _probe(self, channel: str) -> None:
        """A channel whose history could not be read, with nothing to check this pass: read it
        once, so the problem clears (or is reported again) without waiting for a lost post."""
        if not self.sender.can_look_up:
            return
        self._know_id(channel)
        try:
            self.sender.find(channel, Marker("newsmon_probe", "-"), utcnow())
        except SlackFailure as failure:
            if failure.kind in LASTING_LOOKUP_FAILURES:
                self._lookup_failed(channel, failure)
                self.outcome.errors.append(
                    f"{channel}: its history cannot be read ({failure}): a post whose answer "
                    "is lost there cannot be checked"
                )
            return
        self._history_read(channel)

    def _hold(self, item: Item, post_from: datetime | None) -> None:
        """Give back a message whose check failed: a later pass looks again (delay, not
        repeat). No attempt is counted: nothing was posted. A failing Slack counts towards
        ending the pass, like a failed post."""
        self._release(item)
        self.outcome.held += 1
        note = self.unchecked[item.channel]
        note.held += 1
        if post_from is not None and (note.post_from is None or post_from < note.post_from):
            note.post_from = post_from
        if self.outcome.history_errors.get(item.channel) is None:  # Slack failing, not a scope
            self._count_failure(self.lookup_cause)

    def _record_sent(self, item: Item, ts: str | None, channel_id: str | None) -> None:
        try:
            if item.is_reply:
                held = self.ctx.store.replies.reply_sent(item.claim, item.ids, ts)
                self.outcome.replies_sent += held
            else:
                held = self.ctx.store.outbox.alert_sent(
                    item.claim,
                    item.job.id,
                    destination=self.sender.name,
                    slack_ts=ts,
                    slack_channel=channel_id,
                )
                self.outcome.sent += held
        except SQLAlchemyError:
            # posted, not recorded: whoever claims it next looks for it in Slack first
            item.unknown_since = item.unknown_since or item.claim.started
            raise
        if not held:
            self.outcome.errors.append(
                f"{item.channel}: message #{item.job.id} posted after its claim expired; "
                "the next owner will find it in the channel's history"
            )

    def _failed(self, item: Item, failure: SlackFailure) -> object:
        kind = failure.kind
        if kind is Kind.RATE_LIMITED:
            item.rate_limited += 1
            self.pacer.hold(item.channel, self.clock.monotonic() + (failure.retry_after or 1.0))
            if item.rate_limited < RATE_LIMITS_PER_ITEM:
                return _AGAIN
            # the whole channel waits for the next pass: its later batches were tried again
            self.waiting.add(item.channel)
            self._give_back([item])
            line = f"{failure}; {RATE_LIMITS_PER_ITEM} times in a row: its messages wait"
            at, line = self.clock.monotonic(), line + " for the next pass"
            keep_wait(self.ctx, self.pacer, self.outcome, at, item.channel, line)
            return _CHANNEL_DONE
        if kind is Kind.CREDENTIAL:
            self._release(item)
            self._stop_credentials(str(failure))
        # before the channel's refusals: a channel that takes no threads is one of them
        if isinstance(item.job, ReplyJob) and self.threads.refused(item.claim, item.job, failure):
            return _NEXT
        if isinstance(item.job, ReplyJob) and kind is Kind.CHANNEL:  # a channel left behind?
            now = self.ctx.store.outbox.channel_id(item.channel)
            if self.threads.left_behind(item.claim, item.job, failure, now):
                return _NEXT
        if kind is Kind.CHANNEL:
            reason = str(failure)
            self.outcome.blocked[item.channel] = reason
            self.outcome.errors.append(f"{item.channel}: blocked: {reason}")
            self.ctx.store.outbox.set_channel_state(item.channel, blocked=reason)
            self._give_back([item])
            return _CHANNEL_DONE
        unknown = item.unknown_since
        if failure.maybe_posted:
            unknown = unknown or item.claim.started
        retry_at = None
        if kind is Kind.TRANSIENT:
            retry_at = retry_time(self.cfg, item.job.attempts, utcnow())
        why, since = str(failure), unknown
        item.unknown_since = since  # given back so if this record is refused: looked up first
        if isinstance(item.job, ReplyJob):  # each of the story's replies it stands for
            self.ctx.store.replies.reply_failed(
                item.claim, item.ids, why, retry_at=retry_at, maybe_posted_since=since
            )
        else:
            self.ctx.store.outbox.alert_failed(
                item.claim, item.job.id, why, retry_at=retry_at, maybe_posted_since=since
            )
        self.outcome.errors.append(f"{item.channel}: {failure}")
        if retry_at is None and item.is_reply:
            self.outcome.replies_failed += len(item.ids)
        elif retry_at is None:
            self.outcome.failed += 1
        else:
            self.outcome.retrying += len(item.ids)
        if kind is Kind.TRANSIENT:
            self._count_failure(failure.cause, failure.code)
        return _NEXT

    def _count_failure(self, cause: Cause | None, code: str | None = None) -> None:
        """One more failure in a row; enough end the pass's delivery (`stop_line` says why)."""
        self.failures_in_row += 1
        self.unreached_in_row += cause is Cause.UNREACHABLE
        if cause is Cause.UNKNOWN_CODE and code:
            self.unknown_in_row.append(code)
        if self.failures_in_row < self.cfg.stop_after_failures:
            return
        self.outcome.errors.append(
            stop_line(self.failures_in_row, self.unreached_in_row, self.unknown_in_row)
        )
        raise _Stop

    def _stop_credentials(self, reason: str) -> None:
        self.outcome.credential_error = reason
        self.outcome.errors.append(reason)
        raise _Stop


_NEXT, _AGAIN, _CHANNEL_DONE = object(), object(), object()


def deliver_pending(
    ctx: Context, sender: Sender, limit: int | None = None, *, clock: Clock | None = None
) -> DeliveryOutcome:
    """Claim and send queued alerts, then thread replies; at most `limit` of each (default
    slack.max_per_pass). Never raises for Slack's answers: a credential refusal ends delivery
    with `credential_error` set, which the caller turns into a failed run. With alerts off
    nothing is claimed: what is queued stays queued for when they are on again."""
    if not ctx.config.alerts.enabled:
        return DeliveryOutcome(sender=sender.name, off=True)
    return Delivery(ctx, sender, clock).run(limit or ctx.config.slack.max_per_pass)


def deliver(ctx: Context, limit: int | None = None, *, required: bool = False) -> DeliveryOutcome:
    """Deliver through the sender the environment provides (see `newsmon.slack.make_sender`).
    With alerts off no credential is needed: nothing is posted."""
    if not ctx.config.alerts.enabled:
        return DeliveryOutcome(sender="off", off=True)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=required)
    except CredentialError as exc:
        return DeliveryOutcome(sender="none", errors=[str(exc)], credential_error=str(exc))
    return deliver_pending(ctx, sender, limit)
