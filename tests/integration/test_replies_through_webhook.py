"""Thread replies never go out at a channel's top level, whichever sender a pass has: on SQLite
and PostgreSQL, the real slack_sdk against the fake Slack on loopback.

A story announced through the Web API has a thread; a later pass with only an incoming webhook
(`SLACK_WEBHOOK_URL`, say a `newsmon run` from a terminal on the same corpus) claimed its
replies and posted them through the webhook, which sends no `thread_ts` and posts to its own
channel: "Also reported by …" landed at the top level, away from the story, and was recorded
sent. Replies now wait for a pass that can thread them.
"""

from __future__ import annotations

from pathlib import Path

from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import deliver
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
