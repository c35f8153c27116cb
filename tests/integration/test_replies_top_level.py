"""Thread replies never stay at a channel's top level: on SQLite and PostgreSQL, the real
slack_sdk against the fake Slack on loopback.

A story announced through the Web API has a thread; a later pass with only an incoming webhook
(`SLACK_WEBHOOK_URL`, say a `newsmon run` from a terminal on the same corpus) claimed its
replies and posted them through the webhook, which sends no `thread_ts` and posts to its own
channel: "Also reported by …" landed at the top level, away from the story, and was recorded
sent. Replies now wait for a pass that can thread them.

Slack itself may post a reply at the top level and answer `ok` (its parent deleted moments
before: slack-go/slack#1571); its answer then carries no `message.thread_ts`. Such a reply was
recorded sent, and the story's next replies landed there too. Now it is deleted, dropped with
the reason, and the story's other replies are not posted.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import Context, deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack


def test_a_webhook_pass_leaves_thread_replies_for_the_web_api(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        wire = ctx.store.sync_feed("wire-copy", "https://wire.example/feed.xml", "en")
        assert ctx.store.queue_replies(story, wire.id, "https://wire.example/copy") == 1
    finally:
        ctx.close()

    hooked = context(config, slack, webhook=True)
    try:
        outcome = deliver(hooked)
        assert (outcome.sender, outcome.replies_sent, outcome.replies_failed) == ("webhook", 0, 0)
        assert len(slack.top_level()) == 1  # the story's alert alone
        assert hooked.store.replies.count_replies(AlertStatus.PENDING) == 1
    finally:
        hooked.close()

    ctx = context(config, slack)
    try:
        assert deliver(ctx).replies_sent == 1
    finally:
        ctx.close()
    [reply] = slack.replies()
    assert reply["thread_ts"] == slack.top_level("#news")[0]["ts"]
    assert len(slack.top_level()) == 1


def test_a_console_pass_leaves_thread_replies_for_the_web_api(
    tmp_path: Path, slack: FakeSlack, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `newsmon run` from a terminal without SLACK_BOT_TOKEN (the console sender) beside the
    deployment claimed the replies of stories announced in Slack, printed them and recorded
    them sent: the thread in Slack never named those sources. They now wait for the Web API."""
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        assert copy_from(ctx, story, "wire-a") == 1
        assert copy_from(ctx, story, "wire-b") == 1
    finally:
        ctx.close()

    console = context(config, None)
    try:
        outcome = deliver(console)
        assert (outcome.sender, outcome.replies_sent, outcome.replies_failed) == ("console", 0, 0)
        assert console.store.replies.count_replies(AlertStatus.PENDING) == 2
    finally:
        console.close()
    assert "wire-a" not in capsys.readouterr().out

    ctx = context(config, slack)
    try:
        assert deliver(ctx).replies_sent == 2
    finally:
        ctx.close()
    [reply] = slack.replies()
    assert "wire-a" in reply["text"] and "wire-b" in reply["text"]


def copy_from(ctx: Context, article: int, source: str) -> int:
    """Another feed carried the story of `article`: the replies that sighting queued."""
    feed = ctx.store.sync_feed(source, f"https://{source}.example/feed.xml", "en")
    return ctx.store.queue_replies(article, feed.id, f"https://{source}.example/copy")


def test_a_reply_slack_posts_at_the_top_level_is_deleted_and_ends_the_storys_replies(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        gone, other = queue_alerts(ctx.store, {"#news": 2})
        assert deliver(ctx).sent == 2
        with ctx.store.session() as s:
            parent = s.scalar(select(AlertRow.slack_ts).where(AlertRow.article_id == gone))
        assert parent is not None
        slack.unthreaded.add(parent)  # deleted as the reply goes out: Slack un-threads it
        assert copy_from(ctx, gone, "wire-a") == 1
        assert copy_from(ctx, gone, "wire-b") == 1
        assert copy_from(ctx, other, "wire-c") == 1
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.replies_failed) == (1, 0)
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 2
        assert ctx.store.replies.count_replies(AlertStatus.SENT) == 1
        assert len(slack.top_level("#news")) == 2  # the two alerts: no reply stays up there
        [deleted] = slack.deleted
        assert deleted["metadata"]["event_type"] == "newsmon_reply"
        [reply] = slack.replies()
        assert "wire-c" in reply["text"]
    finally:
        ctx.close()


def appeared_at_top_level(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    """Every post the team saw at the channel's top level, those deleted since included."""
    cid = slack.channel_id(channel)
    return [
        p for p in slack.posts + slack.deleted if not p.get("thread_ts") and p["channel_id"] == cid
    ]


def test_a_thread_found_gone_takes_no_reply_in_later_passes(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """Nothing stored said the story's thread was gone: each later copy, pass after pass, was
    posted at the channel's top level again (a notification, a double post until deleted)."""
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        [parent] = slack.top_level("#news")
        slack.unthreaded.add(parent["ts"])
        assert copy_from(ctx, story, "wire-a") == 1
        assert deliver(ctx).replies_sent == 0
        assert len(appeared_at_top_level(slack, "#news")) == 2  # the alert, the reply deleted
        for source in ("wire-b", "wire-c"):  # later copies, each in its own pass
            copy_from(ctx, story, source)
            outcome = deliver(ctx)
            assert (outcome.replies_sent, outcome.replies_failed) == (0, 0)
        assert len(appeared_at_top_level(slack, "#news")) == 2
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 3
        assert ctx.store.replies.count_replies(AlertStatus.PENDING) == 0
    finally:
        ctx.close()


def test_a_thread_refused_not_found_takes_no_reply_in_later_passes(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """After `thread_not_found`, each later copy was posted to Slack again to be refused again,
    one error line in every pass's summary: now it is dropped without asking Slack."""
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        slack.posts.clear()  # someone deleted the story's message in Slack
        assert copy_from(ctx, story, "wire-a") == 1
        assert deliver(ctx).replies_sent == 0
        refused = len(slack.attempts)
        copy_from(ctx, story, "wire-b")
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.replies_failed, outcome.errors) == (0, 0, [])
        assert len(slack.attempts) == refused  # Slack was not asked again
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 2
    finally:
        ctx.close()


def test_a_reply_another_delivery_gives_back_after_its_thread_is_gone_is_dropped(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """A reply another delivery held (claimed, then given back: a long Retry-After) while this
    one found the thread gone was pending again afterwards, and the next pass posted it at the
    top level."""
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        [parent] = slack.top_level("#news")
        slack.unthreaded.add(parent["ts"])
        assert copy_from(ctx, story, "wire-a") == 1
        other = ctx.store.new_claim(timedelta(minutes=10))
        [held] = ctx.store.replies.claim_replies(other, 1)
        assert copy_from(ctx, story, "wire-b") == 1
        assert deliver(ctx).replies_sent == 0  # wire-b's reply, un-threaded: deleted
        ctx.store.replies.release_reply(other, held.id, None)
        assert deliver(ctx).replies_sent == 0
        assert len(appeared_at_top_level(slack, "#news")) == 2  # the alert, wire-b's deleted
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 2
    finally:
        ctx.close()
