"""Thread replies Slack refuses for their thread or channel, on SQLite and PostgreSQL with the
real slack_sdk against the fake Slack on loopback.

A locked thread (`restricted_action_thread_locked`) or a channel that takes no thread replies
(`restricted_action_non_threadable_channel`) will refuse a reply on every try. Taken for Slack
failing, a locked thread's replies were retried for hours, then reported failed for re-queuing,
and three of them in a row ended the pass's delivery: other stories' replies waited. Taken for
the channel's refusal, a non-threadable channel was recorded blocked although it takes alerts,
and health reported its alerts stuck. Such a reply is dropped (`skipped`) with Slack's code.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import Context, deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

runner = CliRunner()


def copy_from(ctx: Context, article: int, source: str) -> int:
    """Another feed carried the story of `article`: the replies that sighting queued."""
    feed = ctx.store.sync_feed(source, f"https://{source}.example/feed.xml", "en")
    return ctx.store.queue_replies(article, feed.id, f"https://{source}.example/copy")


def message_of(ctx: Context, article: int) -> str:
    """The Slack ts of the article's posted alert: its thread."""
    with ctx.store.session() as s:
        ts = s.scalar(select(AlertRow.slack_ts).where(AlertRow.article_id == article))
    assert ts is not None
    return ts


def problem_kinds(config: Path) -> set[str]:
    """The kinds of `newsmon health --json`'s problems (it exits 1 here anyway: no pass ran)."""
    result = runner.invoke(app, ["health", "--config", str(config), "--json"])
    return {p["kind"] for p in json.loads(result.output)["problems"]}


def test_replies_in_a_locked_thread_are_dropped_and_hold_back_no_other_reply(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url)  # three transient failures in a row end a pass
    ctx = context(config, slack)
    try:
        locked, other = queue_alerts(ctx.store, {"#news": 2})
        assert deliver(ctx).sent == 2
        slack.locked_threads.add(message_of(ctx, locked))  # an admin locks the first thread
        for source in ("wire-a", "wire-b", "wire-c"):
            assert copy_from(ctx, locked, source) == 1
        assert copy_from(ctx, other, "wire-d") == 1
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.replies_failed) == (1, 0)
        assert (outcome.retrying, outcome.deferred) == (0, 0)
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 3
        assert ctx.store.replies.count_replies(AlertStatus.PENDING) == 0
        [reply] = slack.replies()
        assert reply["thread_ts"] == message_of(ctx, other)
        tried = len(slack.attempts)
        assert deliver(ctx).replies_sent == 0
        assert len(slack.attempts) == tried  # never tried again
    finally:
        ctx.close()
    assert "alerts_failed" not in problem_kinds(config)
    listed = runner.invoke(app, ["alerts", "--status", "skipped", "--config", str(config)])
    assert listed.output.count("restricted_action_thread_locked") == 3


def test_a_channel_without_threads_drops_its_replies_and_is_not_blocked(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        slack.non_threadable.add("#news")  # the channel no longer takes thread replies
        assert copy_from(ctx, story, "wire-a") == 1
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.replies_failed, outcome.blocked) == (0, 0, {})
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 1
        assert ctx.store.outbox.channel_blocks() == {}
        queue_alerts(ctx.store, {"#news": 1}, prefix="b")  # the next story waits for a pass
    finally:
        ctx.close()
    assert "alerts_stuck" not in problem_kinds(config)  # the channel takes alerts
    ctx = context(config, slack)
    try:
        assert deliver(ctx).sent == 1
    finally:
        ctx.close()


def test_a_reply_refused_for_its_channel_blocks_that_channel_only(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """A read-only or archived channel refuses alerts too: the reply waits with the channel's
    alerts (blocked, no attempt counted) and the other channels' replies go out."""
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        news, policy = queue_alerts(ctx.store, {"#news": 1, "#policy": 1})
        assert deliver(ctx).sent == 2
        read_only = Scripted(200, {"ok": False, "error": "restricted_action_read_only_channel"})
        slack.channel_script["#news"] = [read_only]
        assert copy_from(ctx, news, "wire-a") == 1
        assert copy_from(ctx, policy, "wire-a") == 1
        outcome = deliver(ctx)
        assert outcome.replies_sent == 1 and set(outcome.blocked) == {"#news"}
        assert ctx.store.replies.count_replies(AlertStatus.PENDING) == 1
    finally:
        ctx.close()
