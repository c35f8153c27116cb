"""A digest left because Slack asked to wait (Retry-After) longer than the call holds it: the
monitoring passes that finish digests wait it out too. Real slack_sdk client, the fake Slack
on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow, DigestRow, SlackChannelRow
from newsmon.health import ProblemKind
from newsmon.pipeline import Context
from newsmon.pipeline.checkup import health_report
from newsmon.pipeline.digests import digests_to_finish, finish_digests, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

NOW = datetime.now(UTC).replace(microsecond=0)
WAIT = 600  # seconds Slack asks for: longer than a call holds a digest


def test_a_pass_does_not_post_a_digest_part_before_slack_s_retry_after_ends(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The digest call was told to wait 10 minutes and left the digest; the next monitoring
    pass (a few minutes later) finished it with fresh pacing, posting before Slack's
    Retry-After ended: refused again, or worse. It is left alone until then, still shown."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        ids = queue_alerts(ctx.store, {"#a": 90})
        with ctx.store.session() as s:
            s.execute(
                update(AlertRow)
                .where(AlertRow.article_id.in_(ids))
                .values(status=AlertStatus.SENT, sent_at=NOW - timedelta(hours=5), slack_ts="1")
            )
            for article in s.scalars(select(ArticleRow).where(ArticleRow.id.in_(ids))):
                article.title = f"Story {article.id} ".ljust(240, "x")  # several parts
        limited = Scripted(
            429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": str(WAIT)}
        )
        fake.channel_script["#a"] = [None, limited]
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        first = run_digest(ctx, sender, NOW - timedelta(hours=24), NOW)
        assert first.unfinished == 1 and len(fake.top_level("#a")) == 1, first.channels
        asked = fake.attempts[-1]["at"]

        early = finish_digests(ctx, sender)
        posted = [a["at"] for a in fake.attempts if a["at"] > asked]
        assert early.posted == 0 and not posted, early.channels
        assert not digests_to_finish(ctx)  # a pass starts no digest task meanwhile
        report = health_report(ctx.store, ctx.config, datetime.now(UTC))
        assert [p for p in report.problems if p.kind is ProblemKind.DIGEST_UNFINISHED]

        with ctx.store.session() as s:  # the wait is over
            row = s.scalars(select(DigestRow)).one()
            assert row.status is AlertStatus.PENDING and row.lease_until is not None
            row.lease_until = row.lease_until - timedelta(seconds=WAIT + 60)
            s.execute(update(SlackChannelRow).values(wait_until=None))  # the channel's too
        assert digests_to_finish(ctx)
        later = finish_digests(ctx, sender)
        assert later.unfinished == 0 and later.posted >= 1, later.channels
    finally:
        ctx.close()


def _limited(seconds: int) -> Scripted:
    return Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(seconds)})


def _announced(ctx: Context) -> None:
    """One story announced in #a five hours ago: what a digest of the last day lists."""
    ids = queue_alerts(ctx.store, {"#a": 1})
    with ctx.store.session() as s:
        s.execute(
            update(AlertRow)
            .where(AlertRow.article_id.in_(ids))
            .values(status=AlertStatus.SENT, sent_at=NOW - timedelta(hours=5), slack_ts="1")
        )


def test_a_digest_s_retry_after_answered_late_in_its_claim_is_kept_for_the_channel(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack's 429 (an hour) came after half the digest's 4 s claim was used: the wait is kept
    for #a like one answered early, so no alert pass or notice posts into it."""
    ctx = context(config_path(tmp_path, db_url, lease_seconds=4), fake)
    try:
        _announced(ctx)
        fake.channel_script["#a"] = [_limited(3600)]
        fake.delay_before = 2.5
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        result = run_digest(ctx, sender, NOW - timedelta(hours=24), NOW)
        fake.delay_before = 0.0
        assert result.unfinished == 1 and "too slowly" not in result.channels["#a"]
        (wait,) = ctx.store.slack_waits.listed()
        assert wait.channel == "#a" and wait.until > NOW + timedelta(minutes=59)
    finally:
        ctx.close()


def test_a_digest_rate_limited_at_every_try_keeps_slack_s_last_retry_after(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack answered the digest's three tries 429, the last asking for 40 s: the call gave up
    ("kept rate-limiting") and forgot that wait, so the next pass's alerts or notices for #a
    went out into it, refused again. It is kept for the channel, and the digest waits too."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        _announced(ctx)
        fake.channel_script["#a"] = [_limited(1), _limited(1), _limited(40)]
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        result = run_digest(ctx, sender, NOW - timedelta(hours=24), NOW)
        assert result.unfinished == 1 and fake.posts == [], result.channels
        (wait,) = ctx.store.slack_waits.listed()
        assert wait.channel == "#a" and wait.until > ctx.store.slack_waits.now()
        assert timedelta(seconds=30) < wait.until - ctx.store.slack_waits.now()
        assert not digests_to_finish(ctx)  # the digest is not taken before the wait ends
    finally:
        ctx.close()
