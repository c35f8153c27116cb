"""Digests on workers whose clocks are minutes off the database server's, which every worker
shares (PostgreSQL): a lease is over, a part's post began, a digest was sent, in that clock.
The real slack_sdk client against the fake Slack on loopback, real PostgreSQL."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

import newsmon.clock
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import DigestRow
from newsmon.health import ProblemKind
from newsmon.pipeline.checkup import health_report
from newsmon.pipeline.context import Context
from newsmon.pipeline.digests import digests_to_finish, finish_digests, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import announce_alerts, config_path, context
from tests.support.fake_slack import FakeSlack
from tests.support.postgres import PG_URL, throwaway_schema

NOW = datetime.now(UTC)
PERIOD = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
SKEW = timedelta(minutes=10)


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="clocks") as url:
        yield url


def _skew(monkeypatch: pytest.MonkeyPatch, by: timedelta) -> None:
    """This worker's clock runs `by` off (ahead if positive), wherever newsmon reads it; the
    database server's is right."""
    right = newsmon.clock.utcnow
    for module in [m for name, m in sys.modules.items() if name.startswith("newsmon")]:
        if getattr(module, "utcnow", None) is right:
            monkeypatch.setattr(module, "utcnow", lambda: right() + by)


def _digests_posted(fake: FakeSlack) -> Counter[str]:
    return Counter(fake.metadata_ids("newsmon_digest"))


def _row(ctx: Context) -> DigestRow:
    with ctx.store.session() as s:
        [row] = s.scalars(select(DigestRow))
        s.expunge(row)
        return row


def test_a_part_posted_by_a_worker_whose_clock_runs_ahead_is_found_not_posted_twice(
    tmp_path: Path, pg_url: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker 10 minutes ahead posted a part and lost Slack's answer; it recorded the post as
    begun in its own clock, so the next call looked for it in Slack's history from 8 minutes
    after it went out, did not find it, and posted the part again."""
    ctx = context(config_path(tmp_path, pg_url, timeout=1), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        announce_alerts(ctx.store, {"#a": 2})
        fake.delay_after = 1.5  # Slack takes the part, its answer comes after the timeout
        _skew(monkeypatch, SKEW)
        first = run_digest(ctx, sender, *PERIOD)
        monkeypatch.undo()
        assert first.unfinished == 1 and sum(_digests_posted(fake).values()) == 1
        fake.delay_after = 0
        second = run_digest(ctx, sender, *PERIOD)  # another worker, its clock right
        assert second.unfinished == 0 and second.posted == 0, second.lines()
        assert set(_digests_posted(fake).values()) == {1}
        assert _row(ctx).slack_ts == fake.posts[0]["ts"]
    finally:
        ctx.close()


def test_a_worker_whose_clock_runs_behind_finishes_a_digest_whose_lease_is_over(
    tmp_path: Path, pg_url: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker died holding a digest; its lease ended a minute ago in the database's clock. A
    worker 10 minutes behind took the lease for live: its call said the digest was left for a
    later call and succeeded, its passes found nothing to finish, for 10 minutes more."""
    ctx = context(config_path(tmp_path, pg_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        announce_alerts(ctx.store, {"#a": 2})
        digests = ctx.store.digests
        claim = ctx.store.new_claim(timedelta(minutes=10))
        stories = digests.digest_stories("#a", *PERIOD)
        assert not isinstance(digests.begin_digest(claim, "#a", *PERIOD, stories), type(None))
        with ctx.store.session() as s:  # its worker died; the lease ended a minute ago
            s.execute(update(DigestRow).values(lease_until=digests.now() - timedelta(minutes=1)))
        _skew(monkeypatch, -SKEW)
        assert digests_to_finish(ctx)
        finished = run_digest(ctx, sender, *PERIOD)
        assert finished.posted == 1 and finished.unfinished == 0, finished.lines()
        row = _row(ctx)
        assert row.status is AlertStatus.SENT
        assert row.sent_at is not None and abs(row.sent_at - digests.now()) < timedelta(minutes=1)
        assert set(_digests_posted(fake).values()) == {1}
    finally:
        ctx.close()


def test_a_monitoring_pass_behind_finishes_a_digest_whose_lease_is_over(
    tmp_path: Path, pg_url: str, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same dead worker's digest, finished by a monitoring pass on the slow host."""
    ctx = context(config_path(tmp_path, pg_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        announce_alerts(ctx.store, {"#a": 1})
        digests = ctx.store.digests
        claim = ctx.store.new_claim(timedelta(minutes=10))
        digests.begin_digest(claim, "#a", *PERIOD, digests.digest_stories("#a", *PERIOD))
        with ctx.store.session() as s:
            s.execute(update(DigestRow).values(lease_until=digests.now() - timedelta(minutes=1)))
        _skew(monkeypatch, -SKEW)
        finished = finish_digests(ctx, sender)
        assert finished.posted == 1 and finished.unfinished == 0, finished.lines()
        assert _row(ctx).status is AlertStatus.SENT
    finally:
        ctx.close()


@pytest.mark.parametrize("skew", [SKEW + timedelta(minutes=1), -SKEW], ids=["ahead", "behind"])
def test_health_on_a_skewed_host_judges_a_digest_s_lease_in_the_database_s_clock(
    tmp_path: Path, pg_url: str, fake: FakeSlack, skew: timedelta
) -> None:
    """A monitoring pass finishing a digest holds it for 10 minutes (no digest run to say so).
    Health on a host 11 minutes ahead reported it as not finished while it was being posted
    (an operations notice for nothing); on a host 10 minutes behind it did not report a dead
    worker's digest for 10 minutes more."""
    ctx = context(config_path(tmp_path, pg_url), fake)
    try:
        announce_alerts(ctx.store, {"#a": 1})
        digests = ctx.store.digests
        held = ctx.store.new_claim(timedelta(minutes=10))
        digests.begin_digest(held, "#a", *PERIOD, digests.digest_stories("#a", *PERIOD))
        if skew < timedelta(0):  # its worker died; the lease ended a minute ago
            with ctx.store.session() as s:
                over = digests.now() - timedelta(minutes=1)
                s.execute(update(DigestRow).values(lease_until=over))
        report = health_report(ctx.store, ctx.config, datetime.now(UTC) + skew)
        reported = [p for p in report.problems if p.kind is ProblemKind.DIGEST_UNFINISHED]
        assert len(reported) == (0 if skew > timedelta(0) else 1), reported
    finally:
        ctx.close()
