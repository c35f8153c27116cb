"""Thread replies of an alert that failed and was re-queued by the operator (`newsmon alerts
retry --failed`, as health's `alerts_failed` says to), on SQLite and PostgreSQL with the real
slack_sdk against the fake Slack on loopback.

While the alert had failed, its replies were dropped (`skipped`) and a copy arriving then queued
none: once the re-queued alert posted, its thread never named the other sources. Now a re-queued
alert brings its replies with it, once each, in the order they were queued; replies of an alert
that stays failed, or is held back on purpose, stay skipped.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus.outbox import withdraw_unmatched
from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import Context, deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

runner = CliRunner()
SLACK_DOWN = Scripted(503, {"ok": False, "error": "service_unavailable"})


def copy_from(ctx: Context, article: int, source: str) -> int:
    """Another feed carried the story of `article`: the replies that sighting queued."""
    feed = ctx.store.sync_feed(source, f"https://{source}.example/feed.xml", "en")
    return ctx.store.queue_replies(article, feed.id, f"https://{source}.example/copy")


def retry_failed(config: Path) -> None:
    done = runner.invoke(
        app, ["alerts", "retry", "--failed", "--within", "24h", "--config", str(config)]
    )
    assert done.exit_code == 0, done.output


def reply_sources(slack: FakeSlack) -> list[str]:
    """The sources named in the thread replies Slack accepted, in posting order."""
    return [p["text"].split("Also reported by ", 1)[1].split(":", 1)[0] for p in slack.replies()]


def fail_then_retry(
    tmp_path: Path, slack: FakeSlack, db_url: str, before: list[str], after: list[str]
) -> Path:
    """An alert that fails in an outage with copies from `before` arriving while it waits and
    from `after` once it gave up; then Slack is back and the operator re-queues it."""
    config = config_path(tmp_path, db_url, retry_delays_minutes=[0.0], stop_after_failures=1000)
    slack.channel_id("#news")  # the channel exists: a 503's lost post is looked up there
    ctx = context(config, slack)
    try:
        [article] = queue_alerts(ctx.store, {"#news": 1})
        slack.outage = SLACK_DOWN
        assert deliver(ctx).retrying == 1  # the alert's first try
        for source in before:
            assert copy_from(ctx, article, source) == 1
        assert deliver(ctx).failed == 1  # the outage outlasts the alert's tries
        for source in after:
            assert copy_from(ctx, article, source) == 1
        slack.outage = None
        assert deliver(ctx).replies_sent == 0  # the alert failed: nothing to thread under
    finally:
        ctx.close()
    retry_failed(config)
    return config


def deliver_again(config: Path, slack: FakeSlack) -> tuple[int, int]:
    """One pass: (alerts, replies) it posted."""
    ctx = context(config, slack)
    try:
        outcome = deliver(ctx)
        return outcome.sent, outcome.replies_sent
    finally:
        ctx.close()


def test_a_requeued_alert_that_posts_brings_its_replies_once_each_in_order(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = fail_then_retry(tmp_path, slack, db_url, ["wire", "daily"], [])
    assert deliver_again(config, slack) == (1, 2)
    [announced] = slack.top_level("#news")
    # both copies, in the order seen, in one reply: one notification to the thread
    assert [p["thread_ts"] for p in slack.replies()] == [announced["ts"]]
    assert reply_sources(slack) == ["wire and daily"]
    retry_failed(config)  # nothing failed any more: nothing goes out twice
    assert deliver_again(config, slack) == (0, 0)
    assert len(slack.replies()) == 1


def test_a_copy_seen_while_the_alert_had_failed_is_replied_once_it_posts(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = fail_then_retry(tmp_path, slack, db_url, [], ["wire"])
    assert deliver_again(config, slack) == (1, 1)
    assert reply_sources(slack) == ["wire"]
    assert slack.replies()[0]["thread_ts"] == slack.top_level("#news")[0]["ts"]


def test_replies_stay_skipped_while_their_alert_stays_failed_or_held_back(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url, retry_delays_minutes=[0.0], stop_after_failures=1000)
    slack.channel_id("#news")  # the channel exists: a 503's lost post is looked up there
    ctx = context(config, slack)
    try:
        failing, held = queue_alerts(ctx.store, {"#news": 2})
        assert copy_from(ctx, failing, "wire") == 1
        assert copy_from(ctx, held, "wire") == 1
        # the second story's alert is held back on purpose (a backfill withdrew its topic)
        with ctx.store.session() as s:
            assert withdraw_unmatched(s, held, set()) == 1
        slack.outage = SLACK_DOWN
        deliver(ctx)
        deliver(ctx)
        assert ctx.store.count_alerts(AlertStatus.FAILED) == 1
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 2
        retry_failed(config)  # Slack is still down: the alert fails again
        deliver(ctx)
        deliver(ctx)
        assert ctx.store.count_alerts(AlertStatus.FAILED) == 1
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 2
        slack.outage = None
        assert deliver(ctx).replies_sent == 0
        assert ctx.store.count_alerts(AlertStatus.SKIPPED) == 1
    finally:
        ctx.close()
    assert slack.replies() == []
