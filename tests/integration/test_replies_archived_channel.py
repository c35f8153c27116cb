"""Thread replies under stories announced in a channel archived since, on SQLite and PostgreSQL
with the real slack_sdk against the fake Slack on loopback.

A thread lives in its Slack channel (its ID). A team that archives a channel (often renaming it,
and creating a new one under the old name for the configuration) leaves the old stories' threads
there: Slack refuses every reply with `is_archived`. Such a reply was taken for the channel's
refusal: it stayed pending, the configured channel's *name* was recorded blocked although it now
names another channel that takes alerts, and each pass probed it again with one line, for ever.
"""

from __future__ import annotations

from pathlib import Path

from newsmon.corpus.holds import HoldReason
from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import Context, deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack


def copy_from(ctx: Context, article: int, source: str) -> int:
    """Another feed carried the story of `article`: the replies that sighting queued."""
    feed = ctx.store.sync_feed(source, f"https://{source}.example/feed.xml", "en")
    return ctx.store.queue_replies(article, feed.id, f"https://{source}.example/copy")


def test_a_reply_in_an_archived_channel_is_dropped_once_and_blocks_no_channel(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = context(config_path(tmp_path, db_url), slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        old = slack.channel_id("#news")
        slack.channels["news-2025"] = slack.channels.pop("news")  # renamed, then archived
        slack.archived.add("news-2025")
        assert slack.channel_id("#news") != old  # a new #news, as configured

        assert copy_from(ctx, story, "wire-a") == 1
        assert copy_from(ctx, story, "wire-b") == 1
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.replies_failed, outcome.blocked) == (0, 0, {})
        assert ctx.store.outbox.channel_blocks() == {}
        assert ctx.store.replies.count_replies(AlertStatus.PENDING) == 0
        [line] = [e for e in outcome.errors if "archived" in e]
        assert "thread reply dropped" in line
        [listed] = {r.hold_reason for r in ctx.store.replies.list_replies({})}
        assert listed is HoldReason.THREAD_GONE

        # a later copy is dropped without asking Slack; the new #news takes its alerts
        tried = len(slack.attempts)
        assert copy_from(ctx, story, "wire-c") == 1
        queue_alerts(ctx.store, {"#news": 1}, prefix="b")
        again = deliver(ctx)
        assert (again.sent, again.replies_sent, again.blocked) == (1, 0, {})
        assert len(slack.attempts) == tried + 1  # the new alert only
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 3
    finally:
        ctx.close()


def test_a_reply_refused_in_a_channel_left_behind_blocks_not_the_new_one(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """The team moved #news to a new channel and removed the bot from the old one (renamed):
    the old stories' replies are refused `not_in_channel` there. That refusal was recorded on
    the name #news, a new channel taking alerts: each pass it was reported blocked, probed,
    unblocked by its alert, and blocked again by the same replies, which never went out."""
    ctx = context(config_path(tmp_path, db_url), slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        slack.channels["news-old"] = slack.channels.pop("news")  # renamed, the bot removed
        slack.not_in_channels.add("news-old")
        queue_alerts(ctx.store, {"#news": 1}, prefix="b")  # the new #news's first story
        assert deliver(ctx).sent == 1

        assert copy_from(ctx, story, "wire-a") == 1
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.blocked) == (0, {})
        assert ctx.store.outbox.channel_blocks() == {}
        assert ctx.store.replies.count_replies(AlertStatus.PENDING) == 0
        assert any("not_in_channel" in e and "dropped" in e for e in outcome.errors)
        tried = len(slack.attempts)
        assert copy_from(ctx, story, "wire-b") == 1
        assert deliver(ctx).blocked == {}
        assert len(slack.attempts) == tried  # not asked again
    finally:
        ctx.close()
