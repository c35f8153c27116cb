"""Thread replies under stories announced in a channel renamed in Slack since, on SQLite and
PostgreSQL with the real slack_sdk against the fake Slack on loopback.

A thread lives in the Slack channel (its ID), not under a name. Replies were posted to the name
the alert was queued under: once the channel was renamed (and the configuration followed), Slack
refused the old name `channel_not_found`, the old name was recorded blocked, and every story
announced before the rename took no more reply, pass after pass (no alert probes a name no longer
configured). A lost reply's lookup resolved the old name too: its history was "unreadable".
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import Context, deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

# an answer broken off mid-body: lost (here the reply was not posted)
LOST = Scripted(200, {"ok": True, "channel": "C1", "ts": "1.0"}, cut=5)


def copy_from(ctx: Context, article: int, source: str) -> int:
    """Another feed carried the story of `article`: the replies that sighting queued."""
    feed = ctx.store.sync_feed(source, f"https://{source}.example/feed.xml", "en")
    return ctx.store.queue_replies(article, feed.id, f"https://{source}.example/copy")


def test_replies_follow_their_story_into_a_renamed_channel(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = context(config_path(tmp_path, db_url, retry_delays_minutes=[0.0]), slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        with ctx.store.session() as s:
            parent = s.scalar(select(AlertRow.slack_ts).where(AlertRow.article_id == story))
        cid = slack.channel_id("#news")
        slack.channels["ai-news"] = slack.channels.pop("news")  # renamed in Slack
        slack.unknown_channels.add("news")  # the old name names no channel now

        assert copy_from(ctx, story, "wire-a") == 1
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.blocked) == (1, {})
        [reply] = slack.replies()
        assert (reply["channel_id"], reply["thread_ts"]) == (cid, parent)

        # a reply whose answer was lost is looked up in the channel it went to before posting
        assert copy_from(ctx, story, "wire-b") == 1
        slack.channel_script[cid] = [LOST]
        assert deliver(ctx).retrying == 1
        again = deliver(ctx)
        assert (again.replies_sent, again.held, again.history_errors) == (1, 0, {})
        assert ctx.store.replies.count_replies(AlertStatus.SENT) == 2
    finally:
        ctx.close()
    assert [r["thread_ts"] for r in slack.replies()] == [parent, parent]
