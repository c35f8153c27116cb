"""Digests when Slack fails: a part whose answer was lost is looked up before it is posted
again, and a failed lookup holds the digest instead of posting it twice; a long Retry-After
leaves the digest for a later call instead of sleeping past its claim; a digest stopped
half-way is finished by the next call, even one for a later period. Real slack_sdk client, the
fake Slack on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import DigestRow, SlackChannelRow
from newsmon.health import ProblemKind
from newsmon.pipeline.checkup import health_report
from newsmon.pipeline.context import Context
from newsmon.pipeline.digests import DigestResult, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import announce_alerts, config_path, context
from tests.support.fake_slack import INTERNAL_ERROR, READS_FAILING, FakeSlack, Scripted

NOW = datetime.now(UTC)
PERIOD = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
LATER = (PERIOD[1], PERIOD[1] + timedelta(hours=24))


def _config(tmp_path: Path, db_url: str, **slack: Any) -> Path:
    return config_path(tmp_path, db_url, retry_delays_minutes=[0, 0, 0], **slack)


def _digest(ctx: Context, period: tuple[datetime, datetime] = PERIOD) -> DigestResult:
    sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
    return run_digest(ctx, sender, *period)


def _digests_posted(fake: FakeSlack) -> Counter[str]:
    """How often each digest part ("digest id:part") was accepted by Slack."""
    return Counter(fake.metadata_ids("newsmon_digest"))


def _unfinished(ctx: Context) -> list[str]:
    """What `newsmon health` says of unfinished digests."""
    report = health_report(ctx.store, ctx.config, datetime.now(UTC))
    return [p.message for p in report.problems if p.kind is ProblemKind.DIGEST_UNFINISHED]


def _rows(ctx: Context) -> list[DigestRow]:
    with ctx.store.session() as s:
        return list(s.scalars(select(DigestRow)))


def test_a_lost_answer_and_a_failing_lookup_hold_the_digest_instead_of_posting_it_twice(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    ctx = context(_config(tmp_path, db_url, timeout=1), fake)
    try:
        announce_alerts(ctx.store, {"#a": 3})
        fake.delay_after = 2.5  # Slack takes the digest, its answer comes after the timeout
        first = _digest(ctx)
        assert sum(_digests_posted(fake).values()) == 1 and first.unfinished == 1
        fake.delay_after = 0
        fake.read_outage = READS_FAILING  # the check for the earlier post fails
        second = _digest(ctx)
        assert sum(_digests_posted(fake).values()) == 1  # not posted again
        assert second.unfinished == 1 and "held" in second.channels["#a"]
        [row] = _rows(ctx)
        assert row.status is AlertStatus.PENDING and row.post_started_at is not None
        fake.read_outage = None
        third = _digest(ctx)
        assert set(_digests_posted(fake).values()) == {1}  # found in the channel: recorded
        assert third.posted == 0 and third.unfinished == 0
        [row] = _rows(ctx)
        assert row.status is AlertStatus.SENT and row.post_started_at is None
        assert row.slack_ts == fake.posts[0]["ts"]
    finally:
        ctx.close()


def test_a_failing_lookup_past_the_bound_posts_the_digest_unchecked_and_says_so(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    ctx = context(_config(tmp_path, db_url, unchecked_post_after_minutes=0.03), fake)
    try:
        announce_alerts(ctx.store, {"#a": 2})
        fake.channel_script["#a"] = [INTERNAL_ERROR]
        assert _digest(ctx).unfinished == 1  # may have posted (Slack's own fault)
        fake.read_outage = READS_FAILING
        time.sleep(2.0)  # the bound (1.8 s after the unsure attempt) has passed
        late = _digest(ctx)
        assert late.posted == 1 and late.unfinished == 0
        assert "may show twice" in late.channels["#a"]
    finally:
        ctx.close()


def test_a_definite_refusal_is_not_looked_up_and_the_next_call_for_a_later_period_finishes_it(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A digest that failed at its hour (an outage) was resumed only by a call for the very
    same period, which the daily schedule never makes: that day's digest was lost."""
    ctx = context(_config(tmp_path, db_url), fake)
    try:
        announce_alerts(ctx.store, {"#a": 2, "#b": 1})
        fake.outage = Scripted(200, {"ok": False, "error": "channel_is_archived"})
        first = _digest(ctx)
        assert first.unfinished == 2 and not fake.posts
        problems = _unfinished(ctx)  # the operator sees it before the next call
        assert len(problems) == 2 and all("channel_is_archived" in p for p in problems)
        assert all("the next monitoring pass (or digest call) finishes it" in p for p in problems)
        fake.outage = None
        fake.read_outage = READS_FAILING  # a lookup would fail: none must be needed
        tomorrow = _digest(ctx, LATER)
        assert tomorrow.unfinished == 0 and tomorrow.posted == 2
        assert Counter(p["channel"] for p in fake.posts) == {"#a": 1, "#b": 1}
        assert any("unfinished digest of" in key for key in tomorrow.channels)
        assert all(r.status is AlertStatus.SENT for r in _rows(ctx)) and not _unfinished(ctx)
        assert _digest(ctx, LATER).posted == 0  # finished once, not again
    finally:
        ctx.close()


def test_a_long_retry_after_leaves_the_digest_for_a_later_call_instead_of_sleeping(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    ctx = context(_config(tmp_path, db_url), fake)
    try:
        announce_alerts(ctx.store, {"#a": 2})
        fake.channel_script["#a"] = [
            Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})
        ]
        started = time.monotonic()
        first = _digest(ctx)
        assert time.monotonic() - started < 10  # not an hour
        assert first.unfinished == 1 and "Retry-After" in first.channels["#a"]
        # a call within the hour Slack asked for posts nothing: it was refused again, or worse
        assert _digest(ctx).posted == 0 and not fake.posts
        with ctx.store.session() as s:  # the hour is over
            [row] = s.scalars(select(DigestRow))
            assert row.lease_until is not None
            row.lease_until -= timedelta(hours=1, minutes=1)
            s.execute(update(SlackChannelRow).values(wait_until=None))  # kept for #a too
        again = _digest(ctx)
        assert again.posted == 1 and set(_digests_posted(fake).values()) == {1}
    finally:
        ctx.close()
