"""Thread replies in a channel Slack refused (the bot removed, then invited back), on SQLite and
PostgreSQL with the real slack_sdk against the fake Slack on loopback.

Each pass probes a blocked channel with one message, and the channel works again once one gets
through. Only alerts probed: a channel with nothing but thread replies waiting (its stories
announced, later copies coming in, typical of a quiet channel) stayed blocked after the bot was
invited back, its replies held until a new story's alert happened to come — days, or never for a
channel no longer configured — and `newsmon alerts` kept calling them blocked.
"""

from __future__ import annotations

from pathlib import Path

from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import Context, deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack


def copy_from(ctx: Context, article: int, source: str) -> int:
    """Another feed carried the story of `article`: the replies that sighting queued."""
    feed = ctx.store.sync_feed(source, f"https://{source}.example/feed.xml", "en")
    return ctx.store.queue_replies(article, feed.id, f"https://{source}.example/copy")


def test_a_channel_with_only_replies_waiting_is_probed_with_a_reply(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = context(config_path(tmp_path, db_url), slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        slack.not_in_channels.add("#news")  # the bot removed from the channel
        assert copy_from(ctx, story, "wire-a") == 1
        assert copy_from(ctx, story, "wire-b") == 1
        assert set(deliver(ctx).blocked) == {"#news"}
        assert set(deliver(ctx).blocked) == {"#news"}  # probed, still refused: no attempt
        assert ctx.store.replies.count_replies(AlertStatus.PENDING) == 2

        slack.not_in_channels.clear()  # invited back
        outcome = deliver(ctx)
        assert (outcome.replies_sent, outcome.blocked) == (2, {})
        assert ctx.store.outbox.channel_blocks() == {}
        # the story's two copies waited together: one reply names both
        assert [r["text"] for r in slack.replies()] == [
            "Also reported by wire-a and wire-b: Story 0 for #news"
        ]
    finally:
        ctx.close()
