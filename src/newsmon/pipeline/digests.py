"""Posting digests: per channel, the period's stories, once per channel and period, paced like
alerts; a digest interrupted half-way (an outage, a crash, a lost answer) is finished by a later
call, after the parts already posted — of its own period or of an earlier one."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from newsmon.alerts import DIGEST_EVENT, Marker, Message, plural
from newsmon.corpus.digests import DigestTurn, NotBegun
from newsmon.corpus.records import WEBHOOK_CHANNEL, Claim
from newsmon.digest import (
    FOLLOW_WITHIN,
    RESUME_WITHIN,
    build_digest,
    digest_parts,
    next_start,
    story_lines,
    window,
)
from newsmon.pipeline.context import Context
from newsmon.pipeline.delivery_items import post_or_text
from newsmon.pipeline.digest_results import NOT_BEGUN_LINES
from newsmon.pipeline.digest_results import DigestResult as DigestResult
from newsmon.pipeline.digest_results import DigestsUnfinished as DigestsUnfinished
from newsmon.pipeline.digest_results import Posting as Posting
from newsmon.pipeline.leases import Clock, RealClock, claim_covers
from newsmon.slack import Kind, Pacer, Sender, SlackFailure

RATE_LIMIT_TRIES = 3


class _Left(Exception):
    """This digest stops here and is given back for a later call: the line says why."""

    def __init__(
        self,
        line: str,
        unknown: datetime | None,
        *,
        taken_over: bool = False,
        wait: float | None = None,
    ) -> None:
        super().__init__(line)
        self.unknown = unknown  # when a part's post began, if it may have been posted
        self.taken_over = taken_over  # another delivery holds it now: nothing to give back
        self.wait = wait  # seconds Slack asked to wait (Retry-After) from now, if it did


class _Digests:
    """One call's digests: claims, lookups of parts whose answer was lost, paced posts."""

    def __init__(self, ctx: Context, sender: Sender, clock: Clock, result: DigestResult) -> None:
        self.ctx, self.sender, self.clock, self.result = ctx, sender, clock, result
        self.cfg = ctx.config.slack
        self.pacer = result.pacer or Pacer(
            self.cfg.channel_interval_seconds, self.cfg.channel_burst, self.cfg.max_per_second
        )
        result.pacer = self.pacer
        # a wait Slack asked of a channel in another pass or run (alerts, notices): not before
        waits = ctx.store.slack_waits
        now, mono = waits.now(), clock.monotonic()
        for channel, wait in waits.active().items():
            self.pacer.hold(pace_key(sender, channel), mono + (wait.until - now).total_seconds())
        self.note = ""  # said of the digest being posted (a part posted unchecked)
        self.refusals: list[str] = []  # parts of the digest being posted Slack refused
        self.as_text: list[str] = []  # its parts whose blocks Slack refused, posted as text
        self.unchecked = False  # a part of it was posted again unchecked (may show twice)

    def post(
        self, name: str, since: datetime, until: datetime, key: str, *, say_empty: bool = True
    ) -> Posting | NotBegun:
        """Post (or finish) one channel's digest of [since, until), and say what became of it.
        Raise SlackFailure only for refused credentials. A period without stories is said only
        if `say_empty`."""
        digests = self.ctx.store.digests
        stories = digests.digest_stories(name, since, until)
        if not stories and not say_empty:
            return Posting.QUIET
        claim = self.ctx.store.new_claim(timedelta(seconds=self.cfg.lease_seconds))
        turn = digests.begin_digest(claim, name, since, until, stories, digest_parts(stories))
        if isinstance(turn, NotBegun):
            self.result.channels[key] = NOT_BEGUN_LINES[turn]
            self.result.outcomes[key] = turn
            return turn
        stories = turn.stories  # a resumed digest: the stories it began with, in the same parts
        target = name
        if turn.resumed and name not in self.cfg.channels_in_use():
            # begun under a name configured no more (the channel renamed since, in Slack and
            # in the configuration): Slack knows it by its ID only now
            target = digests.slack_id(name) or name
        parts, relaid = turn.parts, False
        if parts is None and turn.parts_sent:  # begun by a release that kept no parts
            parts = self._posted_parts(turn, target, since)
            relaid = parts is None
        messages = build_digest(name, stories, since, until, self.cfg.zone(), turn.id, parts)
        messages = [replace(message, channel=target) for message in messages]
        self.note = ""
        if relaid:  # which stories its posted parts showed is known nowhere: said, not hidden
            self.note = (
                f" (its first {turn.parts_sent} part(s), posted by an older release, could not be"
                " read back: the rest laid out anew, stories at that boundary may be missing or"
                " repeated: check the channel)"
            )
        self.refusals, self.as_text = [], []
        self.unchecked = False
        try:
            self._parts(claim, turn, messages)
        except _Left as left:
            self._said_unchecked(key)
            if left.taken_over:
                self.result.channels[key] = str(left)
                self.result.outcomes[key] = Posting.TAKEN_OVER
                return Posting.TAKEN_OVER
            # Slack asked to wait (Retry-After): no later call (a pass) posts before it ends
            wait = left.wait
            not_before = digests.now() + timedelta(seconds=wait) if wait else None
            if wait and not_before is not None:  # every sender leaves the channel till then
                not_before = self.ctx.store.slack_waits.wait(target, wait, str(left))
            digests.release_digest(claim, turn.id, str(left), left.unknown, not_before)
            self.result.left.append(key)
            self.result.channels[key] = f"{left}; left for a later call{self.note}"
            self.result.outcomes[key] = Posting.LEFT
            return Posting.LEFT
        except SlackFailure as failure:  # refused credentials: nothing more is posted
            digests.release_digest(claim, turn.id, str(failure), turn.unknown_since)
            self.result.left.append(key)
            self.result.channels[key] = f"not posted: {failure}"
            self.result.outcomes[key] = Posting.LEFT
            raise
        stored = f"{plural(len(stories), 'story', 'stories')} in {len(messages)} message(s)"
        if self.refusals:
            self.result.refused.append(key)
        self._said_unchecked(key)
        if relaid and key not in self.result.relaid:
            self.result.relaid.append(key)
        stored += "".join(f"; {line}" for line in self.refusals + self.as_text)
        self.result.channels[key] = stored + self.note
        self.result.outcomes[key] = Posting.FINISHED
        return Posting.FINISHED

    def _said_unchecked(self, key: str) -> None:
        if self.unchecked and key not in self.result.unchecked:
            self.result.unchecked.append(key)

    def _posted_parts(self, turn: DigestTurn, channel: str, since: datetime) -> list[int] | None:
        """The stories each part holds of a digest begun by a release that kept none: those of
        the parts it posted read back from the channel, the rest laid out by this release (the
        layout changed meanwhile: cut anew, a moved boundary skipped or repeated stories).
        None when they cannot be read: the parts left are laid out anew."""
        if not self.sender.can_look_up:
            return None
        posted = []
        for n in range(1, turn.parts_sent + 1):
            marker = Marker(DIGEST_EVENT, f"{turn.id}:{n}")
            try:
                blocks = self.sender.posted_blocks(channel, marker, since)
            except SlackFailure:
                return None
            if not blocks:
                return None
            posted.append(story_lines(blocks))
        left = turn.stories[sum(posted) :]
        return posted + digest_parts(left) if left else posted

    def _parts(self, claim: Claim, turn: DigestTurn, messages: list[Message]) -> None:
        digests = self.ctx.store.digests
        unknown = turn.unknown_since  # the first part's earlier post may have gone out
        for n in range(turn.parts_sent, len(messages)):
            message, done = messages[n], n + 1 == len(messages)
            ts = self._look_up(message, unknown) if unknown is not None else None
            error = None
            if ts is None:
                if not claim_covers(claim, 0.0, self.cfg.timeout):
                    raise _Left(
                        f"Slack answered too slowly for the claim after {n} part(s)", unknown
                    )
                started = digests.part_started(claim, turn.id)  # the database's clock
                try:
                    ts, refused = self._post(claim, message)
                    self.result.posted += 1
                    if refused is not None:  # its stories went out all the same
                        blocks = f"Slack refused its blocks: {refused.code}"
                        self.as_text.append(f"part {n + 1} as plain text ({blocks})")
                except SlackFailure as failure:
                    if failure.kind is Kind.CREDENTIAL:
                        raise
                    if failure.kind is not Kind.MESSAGE:
                        maybe = (unknown or started) if failure.maybe_posted else None
                        limited = failure.kind is Kind.RATE_LIMITED
                        raise _Left(
                            f"{n} of {len(messages)} part(s) posted: {failure}",
                            maybe,
                            wait=failure.retry_after if limited else None,
                        ) from None
                    # refused for its content: every later call would be refused the same, and
                    # the parts after it would never go out; it is left out, and said so
                    self.refusals.append(f"part {n + 1} of {len(messages)} refused: {failure}")
                    error = "; ".join(self.refusals)
            unknown = None
            if not digests.digest_progress(claim, turn.id, n + 1, ts, done=done, error=error):
                raise _Left(
                    f"another delivery took the digest over after part {n + 1}",
                    None,
                    taken_over=True,
                )

    def _look_up(self, message: Message, unknown: datetime) -> str | None:
        """The part's ts if an earlier attempt posted it; a failed lookup holds the digest
        until `slack.unchecked_post_after_minutes` after that attempt, then posts unchecked."""
        if not self.sender.can_look_up:  # a webhook: the part is posted again, unchecked
            self.unchecked = True
            self.note += " (a part whose answer was lost posted again unchecked: a webhook cannot"
            self.note += " read the channel, it may show twice)"
            return None
        assert message.marker is not None
        try:
            return self.sender.find(message.channel, message.marker, unknown)
        except SlackFailure as failure:
            if failure.kind is Kind.CREDENTIAL:
                raise
            post_from = self.cfg.unchecked_from(unknown)  # `unknown`: the database's clock
            if post_from is None or self.ctx.store.digests.now() < post_from:
                when = f"from {post_from:%Y-%m-%d %H:%M} UTC" if post_from else "never"
                raise _Left(
                    f"held: could not check for an earlier post ({failure}); posted unchecked "
                    + when,
                    unknown,
                ) from None
            self.unchecked = True
            self.note += f" (a part posted unchecked, may show twice: {failure})"
            return None

    def _post(self, claim: Claim, message: Message) -> tuple[str | None, SlackFailure | None]:
        """The part's ts, and Slack's refusal of its blocks if it went out as text instead."""
        paced = pace_key(self.sender, message.channel)
        for _ in range(RATE_LIMIT_TRIES):
            wait = self.pacer.ready_at(paced, self.clock.monotonic())
            wait -= self.clock.monotonic()
            if wait > 0:
                if not claim_covers(claim, wait, self.cfg.timeout):
                    raise SlackFailure(
                        f"Slack asked to wait {wait:.0f}s (Retry-After), longer than this "
                        "call holds the digest",
                        Kind.RATE_LIMITED,
                        retry_after=wait,
                    )
                self.clock.sleep(wait)
            self.pacer.take(paced, self.clock.monotonic())
            try:
                posted, refused = post_or_text(self.sender, message)
                return posted.ts, refused
            except SlackFailure as failure:
                if failure.kind is not Kind.RATE_LIMITED:
                    raise
                hold = self.clock.monotonic() + (failure.retry_after or 1.0)
                self.pacer.hold(paced, hold)
        # Slack's last Retry-After still holds: kept for the channel like any (`_parts`)
        left = self.pacer.held_for(paced, self.clock.monotonic())
        raise SlackFailure(
            f"Slack kept rate-limiting the digest ({RATE_LIMIT_TRIES} times), the last asking "
            f"to wait {left:.0f}s (Retry-After)",
            Kind.RATE_LIMITED,
            retry_after=left,
        )


def digest_period(ctx: Context, length: timedelta) -> tuple[datetime, datetime]:
    """The period a digest call takes now (`digest.window`), ending by the database's clock,
    which posts are stamped in: a host ahead of it ended a period the database had not reached,
    and a post stamped later inside it was in no digest."""
    digests = ctx.store.digests
    return window(digests.now(), length, ctx.config.slack.zone(), digests.period_ended)


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
    """Post each channel's digest up to `until` unless it was posted already, from where the
    channel's last digest ended (`next_start`: within `FOLLOW_WITHIN`, else from `since`);
    first finish the digests of earlier periods (up to `RESUME_WITHIN` old) that stopped
    half-way. With alerts off nothing is posted nor recorded (a dry run still shows): the
    first digest once they are on starts where the last one ended."""
    result = DigestResult(since, until, dry_run, off=not ctx.config.alerts.enabled and not dry_run)
    if result.off:
        return result
    digests = ctx.store.digests
    if not dry_run:  # a post stamped in the period and not yet committed is listed too
        digests.wait_for_posts()
    # a channel quiet in [since, until) may have stories its last digest did not list yet
    channels = [channel] if channel else digests.digest_channels(_earliest(since, until), until)
    if dry_run:
        cfg = ctx.config.slack
        for name in channels:
            start = _start(ctx, name, since, until)
            stories = digests.digest_stories(name, start, until) if start < until else []
            if stories:
                result.previews += build_digest(name, stories, start, until, cfg.zone())
                count = plural(len(stories), "story", "stories")
                result.channels[name] = f"{count} (dry run: not posted){_from(start, since)}"
            elif start >= until and (channel or digests.digest_stories(name, since, until)):
                _taken_period(ctx, result, name)
            elif channel:
                result.channels[name] = "no stories"
        return result
    poster = _Digests(ctx, sender, clock or RealClock(), result)
    try:
        # leases end in the database's clock: a host behind it took a dead worker's for live
        for d in digests.unfinished_digests(digests.now(), until - RESUME_WITHIN, channel):
            poster.post(d.channel, d.since, d.until, _key(d.channel, d.since, d.until, until))
        for name in channels:
            if name in result.channels:  # its digest of this period, just finished
                continue
            start = _start(ctx, name, since, until)
            if start >= until:  # a call earlier this hour (or by hand) took it to `until`
                if channel or digests.digest_stories(name, since, until):
                    _taken_period(ctx, result, name)
                continue
            posting = poster.post(name, start, until, name, say_empty=channel is not None)
            if isinstance(posting, Posting) and name in result.channels:  # begun from there
                result.channels[name] += _from(start, since)
    except SlackFailure as failure:
        result.credential_error = str(failure)
    return result


def finish_digests(
    ctx: Context,
    sender: Sender,
    *,
    clock: Clock | None = None,
    waits: Mapping[str, datetime] | None = None,
) -> DigestResult:
    """Finish the digests begun and left unfinished (periods that ended within `RESUME_WITHIN`):
    what each monitoring pass does, so a digest its run could not finish (an outage longer
    than its retries, an hour's Retry-After, a worker lost) goes out within a pass or two, not
    with the next day's. Only recorded periods, which had ended, each once (its claim).
    `waits`: when the Retry-After the pass's alert delivery got per channel ends (the
    database's clock, `DeliveryOutcome.waits`): no part goes there before."""
    now = ctx.store.digests.now()  # leases end in the database's clock, not this host's
    result = DigestResult(now - RESUME_WITHIN, now, off=not ctx.config.alerts.enabled)
    if result.off:  # kept, as queued alerts are, for when alerts are on again
        return result
    clock = clock or RealClock()
    poster = _Digests(ctx, sender, clock, result)
    for channel, until in (waits or {}).items():
        left = (until - now).total_seconds()
        poster.pacer.hold(pace_key(sender, channel), clock.monotonic() + left)
    try:
        for d in ctx.store.digests.unfinished_digests(now, now - RESUME_WITHIN):
            poster.post(d.channel, d.since, d.until, _key(d.channel, d.since, d.until, now))
    except SlackFailure as failure:
        result.credential_error = str(failure)
    return result


def pace_key(sender: Sender, channel: str) -> str:
    """What Slack limits a post to `channel` under: its channel, or the one incoming webhook
    every channel's digest goes through (paced per channel name, two digests were posted to
    it at once, the second into the first's Retry-After)."""
    return WEBHOOK_CHANNEL if sender.name == "webhook" else channel


def digests_to_finish(ctx: Context) -> bool:
    """Whether `finish_digests` has anything to do: a monitoring pass starts no task (and asks
    for no credential) for digests when none was left unfinished, or while alerts are off."""
    if not ctx.config.alerts.enabled:
        return False
    now = ctx.store.digests.now()  # leases end in the database's clock, not this host's
    return bool(ctx.store.digests.unfinished_digests(now, now - RESUME_WITHIN))


def retry_left(
    ctx: Context,
    sender: Sender,
    result: DigestResult,
    delays: Sequence[float],
    *,
    room: float,
    clock: Clock | None = None,
    waiting: Callable[[float], None] | None = None,
) -> None:
    """Try the digests `result` left for a later call again, after each of `delays` seconds in
    turn while any is left, as the same call and for the same period: the next call is usually
    the next day's. A retry that would start more than `room` seconds from now is not waited
    for. Refused credentials stop it (nothing would change); a part refused for its content was
    not left. Each retry resumes after the parts already posted, as any later call would."""
    clock = clock or RealClock()
    end = clock.monotonic() + room
    first = {key: result.channels[key] for key in result.left}  # why the first try left each
    digests = ctx.store.digests
    for attempt, delay in enumerate(delays, start=2):
        if not result.left or result.credential_error:
            return
        left = {
            key: d
            # those waiting out a Retry-After too: this call waits for it (`result.pacer`)
            for d in digests.unfinished_digests(
                digests.now(), result.until - RESUME_WITHIN, waiting=True
            )
            if (key := _key(d.channel, d.since, d.until, result.until)) in result.left
        }
        if not left:  # none is given back any more: nothing to wait for
            _taken(result, list(result.left), first)
            return
        now = clock.monotonic()
        if result.pacer is not None:  # Slack asked to wait (Retry-After): not before
            paced = [pace_key(sender, d.channel) for d in left.values()]
            ready = min(result.pacer.ready_at(key, now) for key in paced)
            delay = max(delay, ready - now)
        if now + delay > end:
            return
        if waiting is not None:
            waiting(delay)
        clock.sleep(delay)
        gone, result.left = [key for key in result.left if key not in left], []
        poster = _Digests(ctx, sender, clock, result)
        done: set[str] = set()
        try:
            for key, d in left.items():
                done.add(key)
                if poster.post(d.channel, d.since, d.until, key) is Posting.FINISHED:
                    start = _from(d.since, result.since) if d.until == result.until else ""
                    # the first try's line said where the period starts too: said once
                    said = first.get(key, "left").removesuffix(start)
                    result.channels[key] += f"{start} (at try {attempt}; the first: {said})"
        except SlackFailure as failure:  # refused credentials: the rest stays left
            result.credential_error = str(failure)
            result.left += [key for key in left if key not in done and key not in result.left]
            return
        _taken(result, gone, first)


def _taken(result: DigestResult, keys: Sequence[str], first: dict[str, str]) -> None:
    """Digests left by this call and no longer given back: another call finished or holds it."""
    for key in keys:
        result.channels[key] = f"{first.get(key, 'left')}; then taken by another call"
        result.outcomes[key] = Posting.TAKEN_OVER
    result.left = [key for key in result.left if key not in keys]


def _taken_period(ctx: Context, result: DigestResult, name: str) -> None:
    """A channel whose period a call earlier this hour (or by hand) took: posted, or being
    posted by that call right now, said apart (before, "already posted (or being posted)")."""
    state = ctx.store.digests.last_digest_state(name)
    result.channels[name] = NOT_BEGUN_LINES[state]
    result.outcomes[name] = state


def _key(channel: str, since: datetime, until: datetime, call_until: datetime) -> str:
    """A digest's key in `DigestResult.channels`: its channel, with the period if earlier."""
    return channel if until == call_until else f"{channel} ({_period(since, until)})"


def _start(ctx: Context, channel: str, since: datetime, until: datetime) -> datetime:
    """Where `channel`'s period ending at `until` starts (`next_start`); one with no digest in
    `FOLLOW_WITHIN` starts at `since` unless a story of it announced before that is in none."""
    digests = ctx.store.digests
    last = digests.last_period_end(channel)
    start = next_start(last, since, until)
    followed = last is not None and start == last
    if start < since and not followed and not digests.announced(channel, start, since):
        return since
    return start


def _earliest(since: datetime, until: datetime) -> datetime:
    """Where a period ending at `until` may start: `since`, or up to `FOLLOW_WITHIN` before."""
    return min(since, until - FOLLOW_WITHIN)


def _from(start: datetime, since: datetime) -> str:
    """Said of a channel whose period starts elsewhere than the call's `since`."""
    if start == since:
        return ""
    return f" (from {start:%Y-%m-%d %H:%M} UTC, where its last digest ended)"


def _period(since: datetime, until: datetime) -> str:
    return f"unfinished digest of {since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} UTC"
