"""A thread reply left claimed by a delivery that was killed, on SQLite and PostgreSQL with the
real slack_sdk against the fake Slack on loopback.

The killed delivery's lease runs out: the reply is claimable again and looked up before it is
posted again. When another pass found the story's thread gone meanwhile (its message deleted in
Slack), such a reply was claimable no more (its alert takes no replies) nor dropped (only pending
ones were): it stayed `sending` for ever, listed so by `newsmon alerts`, and a copy Slack had put
at the channel's top level as the story's message went stayed there.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from newsmon.alerts import build_reply
from newsmon.clock import utcnow
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import ReplyRow
from newsmon.pipeline import Context, deliver
from newsmon.slack.senders import SlackWebSender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack


def copy_from(ctx: Context, article: int, source: str) -> int:
    """Another feed carried the story of `article`: the replies that sighting queued."""
    feed = ctx.store.sync_feed(source, f"https://{source}.example/feed.xml", "en")
    return ctx.store.queue_replies(article, feed.id, f"https://{source}.example/copy")


def test_a_killed_deliverys_reply_under_a_thread_gone_since_is_dropped_and_taken_back(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = context(config_path(tmp_path, db_url), slack)
    try:
        [story] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        [parent] = slack.top_level("#news")
        assert copy_from(ctx, story, "wire-a") == 1

        # a delivery claims wire-a's reply and posts it as the story's message is deleted
        # (Slack puts it at the top level), then is killed before recording anything; wire-b's
        # copy is seen meanwhile
        killed = ctx.store.new_claim(timedelta(minutes=10))
        [job] = ctx.store.replies.claim_replies(killed, 1)
        assert copy_from(ctx, story, "wire-b") == 1
        slack.unthreaded.add(parent["ts"])
        SlackWebSender(slack.token, base_url=slack.api_url, timeout=5).post(build_reply(job))
        slack.posts.remove(parent)  # the story's message, deleted in Slack

        # the next pass, within the killed one's lease, finds the thread gone (wire-b's reply)
        assert deliver(ctx).replies_sent == 0
        assert ctx.store.replies.count_replies(AlertStatus.SENDING) == 1
        with ctx.store.session() as s:  # the killed delivery's lease runs out
            s.execute(
                update(ReplyRow)
                .where(ReplyRow.id == job.id)
                .values(lease_until=utcnow() - timedelta(minutes=1))
            )
        outcome = deliver(ctx)
        assert outcome.replies_sent == 0 and outcome.held == 0
        with ctx.store.session() as s:
            status, reason = s.execute(
                select(ReplyRow.status, ReplyRow.last_error).where(ReplyRow.id == job.id)
            ).one()
        assert status is AlertStatus.SKIPPED and reason and "thread_not_found" in reason
        assert slack.top_level("#news") == []  # the reply Slack un-threaded is deleted
        assert deliver(ctx).replies_sent == 0
    finally:
        ctx.close()
