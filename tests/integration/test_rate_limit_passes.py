"""Slack's Retry-After kept across delivery passes and runs, for alerts (and the digests of the
same pass): a channel Slack asked to wait longer than a pass holds its claim is not posted to
again before the wait ends. Real slack_sdk against the fake Slack on loopback, SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, DigestRow
from newsmon.pipeline import Context, deliver
from newsmon.pipeline.digests import digests_to_finish, finish_digests, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

NOW = datetime.now(UTC).replace(microsecond=0)
HOUR = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})


def test_an_alert_left_for_a_long_retry_after_is_not_posted_by_the_next_pass(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack asked #slow to wait an hour; the pass left its alerts, but kept no record of the
    wait: the next pass (cron, minutes later) posted to #slow at once, before Slack's wait
    ended. Every alert of #slow now waits, pending with no attempt counted, its next try at
    the wait's end (`newsmon alerts` says so); once it is over they all go out, once."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        queue_alerts(ctx.store, {"#slow": 12, "#fast": 1})
        fake.channel_script["#slow"] = [HOUR]
        first = deliver(ctx)
        assert first.sent == 1 and first.deferred >= 1
        tried = len(fake.attempts)

        second = deliver(ctx)  # the next pass, well within the hour
        assert len(fake.attempts) == tried, fake.attempts[tried:]
        assert second.sent == 0
        waiting = ctx.store.list_alerts(channel="#slow", limit=100)
        assert len(waiting) == 12
        for alert in waiting:
            assert alert.status is AlertStatus.PENDING and alert.attempts == 0
            assert alert.next_attempt_at is not None
            wait = alert.next_attempt_at - alert.created_at
            assert timedelta(minutes=59) < wait < timedelta(minutes=61)
            assert alert.last_error and "Retry-After" in alert.last_error

        with ctx.store.session() as s:  # the hour is over
            s.execute(update(AlertRow).values(next_attempt_at=None))
        third = deliver(ctx)
        assert third.sent == 12 and len(fake.top_level("#slow")) == 12
        assert all(a.status is AlertStatus.SENT for a in ctx.store.list_alerts(channel="#slow"))
    finally:
        ctx.close()


def _announced(ctx: Context, channels: dict[str, int]) -> None:
    """Stories announced in `channels` five hours ago: what a digest of the last day lists."""
    ids = queue_alerts(ctx.store, channels, prefix="d")
    with ctx.store.session() as s:
        s.execute(
            update(AlertRow)
            .where(AlertRow.article_id.in_(ids))
            .values(status=AlertStatus.SENT, sent_at=NOW - timedelta(hours=5), slack_ts="1.0")
        )


def _posts_to(fake: FakeSlack, channel: str, after: int) -> list[dict[str, object]]:
    posts = fake.attempts[after:]
    return [a for a in posts if a["path"] == "/api/chat.postMessage" and a["channel"] == channel]


def test_a_pass_s_digests_honour_the_retry_after_its_alert_delivery_got(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A digest of #a left unfinished (Slack failing) is finished by the next monitoring pass
    after its alert delivery. That delivery was just told by Slack to wait an hour in #a; the
    digest stage did not know and posted to #a at once (refused again). It now leaves the
    digest until the wait ends, the digest row keeping when (`lease_until`)."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        _announced(ctx, {"#a": 2})
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        fake.channel_script["#a"] = [Scripted(200, {"ok": False, "error": "fatal_error_x"})]
        first = run_digest(ctx, sender, NOW - timedelta(hours=24), NOW)
        assert first.unfinished == 1 and digests_to_finish(ctx), first.channels

        queue_alerts(ctx.store, {"#a": 1})  # the next pass: an alert for #a, refused for an hour
        fake.channel_script["#a"] = [HOUR]
        delivery = deliver(ctx)
        assert delivery.sent == 0 and "#a" in delivery.waits
        before = len(fake.attempts)

        result = finish_digests(ctx, sender, waits=delivery.waits)
        assert not _posts_to(fake, "#a", before), fake.attempts[before:]
        assert result.unfinished == 1 and result.posted == 0, result.channels
        with ctx.store.session() as s:
            row = s.scalars(select(DigestRow)).one()
            assert row.status is AlertStatus.PENDING and row.lease_until is not None
            assert row.lease_until >= delivery.waits["#a"] - timedelta(seconds=5)
    finally:
        ctx.close()


def test_digests_of_two_channels_through_one_webhook_wait_out_its_retry_after_together(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Through an incoming webhook every channel's digest goes to one URL, which Slack limits
    as one. The webhook answered #a's digest 429 with an hour's Retry-After, and #b's digest
    was posted to the same webhook at once, paced as another channel: refused too. Both wait
    now, the webhook tried once."""
    ctx = context(config_path(tmp_path, db_url), fake, webhook=True)
    try:
        _announced(ctx, {"#a": 1, "#b": 1})
        fake.webhook_script = [Scripted(429, "rate_limited", headers={"Retry-After": "3600"})]
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        result = run_digest(ctx, sender, NOW - timedelta(hours=24), NOW)
        hooks = [a for a in fake.attempts if str(a["path"]).startswith("/services/")]
        assert len(hooks) == 1, [a.get("text", "")[:40] for a in hooks]
        assert result.unfinished == 2 and fake.posts == [], result.channels
        assert not digests_to_finish(ctx)  # neither is taken before the hour ends
    finally:
        ctx.close()
