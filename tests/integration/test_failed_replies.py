"""Thread replies ("also reported by …") that gave up in a Slack outage, on SQLite and
PostgreSQL with the fake Slack on loopback: like alerts that gave up, `newsmon health` must say
so (`alerts_failed`) and `newsmon alerts retry --failed` must re-queue them; before, they
failed silently and health stayed green while the story's thread never named the source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from newsmon.cli import EXIT_UNHEALTHY, app
from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

runner = CliRunner()
SLACK_DOWN = Scripted(503, {"ok": False, "error": "service_unavailable"})


def alerts_failed(config: Path) -> list[dict[str, Any]]:
    """The `alerts_failed` problems of `newsmon health --json` (which exits 1 here anyway: no
    monitoring pass has run)."""
    result = runner.invoke(app, ["health", "--config", str(config), "--json"])
    assert result.exit_code == EXIT_UNHEALTHY, result.output
    return [p for p in json.loads(result.output)["problems"] if p["kind"] == "alerts_failed"]


def test_a_thread_reply_that_gave_up_is_reported_and_retried_like_an_alert(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url, retry_delays_minutes=[0.0], stop_after_failures=1000)
    ctx = context(config, slack)
    try:
        [article] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1  # the story is posted
        other = ctx.store.sync_feed("wire-copy", "https://wire.example/feed.xml", "en")
        assert ctx.store.queue_replies(article, other.id, "https://wire.example/copy") == 1
        slack.outage = SLACK_DOWN  # Slack is down through the reply's two tries
        assert deliver(ctx).retrying == 1
        assert deliver(ctx).replies_failed == 1
        assert ctx.store.replies.count_replies(AlertStatus.FAILED) == 1
        slack.outage = None
        assert deliver(ctx).replies_sent == 0  # nothing pending: a pass finds nothing to do
    finally:
        ctx.close()

    [problem] = alerts_failed(config)
    assert problem["message"].startswith("1 thread reply(ies) gave up in the last 24 h")
    assert "#news 1" in problem["message"]

    retried = runner.invoke(
        app, ["alerts", "retry", "--failed", "--within", "24h", "--config", str(config)]
    )
    assert retried.exit_code == 0, retried.output
    assert "1 thread reply(ies)" in retried.output
    ctx = context(config, slack)
    try:
        assert deliver(ctx).replies_sent == 1
    finally:
        ctx.close()
    [reply] = slack.replies()
    assert reply["thread_ts"] == slack.top_level("#news")[0]["ts"]
    assert alerts_failed(config) == []


def reply_lines(config: Path, *options: str) -> list[str]:
    """The thread-reply lines `newsmon alerts` prints with these options."""
    result = runner.invoke(app, ["alerts", *options, "--config", str(config)])
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if line.startswith("reply r")]


def test_newsmon_alerts_lists_the_thread_replies_health_reports(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """`alerts_failed` names failed thread replies; `newsmon alerts --status failed` must show
    them (which story, which source, why), or the operator cannot see what health reports."""
    config = config_path(tmp_path, db_url, retry_delays_minutes=[0.0], stop_after_failures=1000)
    ctx = context(config, slack)
    try:
        [article, other_story] = queue_alerts(ctx.store, {"#news": 1, "#policy": 1})
        assert deliver(ctx).sent == 2
        wire = ctx.store.sync_feed("wire-copy", "https://wire.example/feed.xml", "en")
        assert ctx.store.queue_replies(article, wire.id, "https://wire.example/copy") == 1
        slack.outage = SLACK_DOWN
        deliver(ctx)
        assert deliver(ctx).replies_failed == 1
        slack.outage = None
        assert ctx.store.queue_replies(other_story, wire.id, "https://wire.example/2") == 1
    finally:
        ctx.close()

    [failed] = reply_lines(config, "--status", "failed")
    assert failed.split()[2:4] == ["failed", "#news"] and "wire-copy" in failed
    [pending] = reply_lines(config, "--status", "pending")
    assert pending.split()[2:4] == ["pending", "#policy"]
    assert len(reply_lines(config)) == 2
    assert reply_lines(config, "--status", "sent") == []
    assert [x.split()[3] for x in reply_lines(config, "--channel", "#news")] == ["#news"]
    listed = runner.invoke(app, ["alerts", "--status", "failed", "--config", str(config)])
    assert "service_unavailable" in listed.output


def test_a_reply_whose_announcement_was_deleted_is_dropped_not_failed(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """Someone deleted the story's alert in Slack: its thread is gone, Slack refuses the reply
    (`thread_not_found`) and will refuse it on every retry. Reported as a failure, health would
    tell the operator to re-queue it for 24 h after each vain retry; it is dropped (`skipped`)
    with its reason instead, and `newsmon alerts --status skipped` shows it."""
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        [article] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        slack.posts.clear()  # the announcement is deleted in Slack
        wire = ctx.store.sync_feed("wire-copy", "https://wire.example/feed.xml", "en")
        assert ctx.store.queue_replies(article, wire.id, "https://wire.example/copy") == 1
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.replies_failed) == (0, 0)
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 1
        assert deliver(ctx).replies_sent == 0  # never tried again
    finally:
        ctx.close()
    assert alerts_failed(config) == []
    [dropped] = reply_lines(config, "--status", "skipped")
    assert "#news" in dropped
    listed = runner.invoke(app, ["alerts", "--status", "skipped", "--config", str(config)])
    assert "thread_not_found" in listed.output
    assert len(slack.attempts) == 2  # the alert, the one refused reply


def test_a_reply_slack_says_its_message_cannot_have_is_dropped_not_failed(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """Slack refuses a reply with `cannot_reply_to_message` ("This message type cannot have
    thread replies", chat.postMessage's errors): the story's message will never take a thread,
    so no retry can post it. Reported as a failure, health asked for 24 h to re-queue it, and a
    re-queue failed it again; it is dropped (`skipped`) with its reason, as `thread_not_found`."""
    config = config_path(tmp_path, db_url)
    refused = Scripted(200, {"ok": False, "error": "cannot_reply_to_message"})
    slack.channel_script["#news"] = [None, refused]  # the alert goes out, its reply is refused
    ctx = context(config, slack)
    try:
        [article] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        wire = ctx.store.sync_feed("wire-copy", "https://wire.example/feed.xml", "en")
        assert ctx.store.queue_replies(article, wire.id, "https://wire.example/copy") == 1
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.replies_failed) == (0, 0)
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 1
        assert ctx.store.replies.count_replies(AlertStatus.FAILED) == 0
        assert deliver(ctx).replies_sent == 0  # never tried again
    finally:
        ctx.close()
    assert alerts_failed(config) == []
    listed = runner.invoke(app, ["alerts", "--status", "skipped", "--config", str(config)])
    assert "cannot_reply_to_message" in listed.output
    assert len(slack.attempts) == 2  # the alert, the one refused reply
