"""A thread reply whose post answer was lost, looked up after its story's message was deleted
in Slack, on SQLite and PostgreSQL with the real slack_sdk against the fake Slack on loopback.

The lookup (`conversations.replies` on the deleted parent) is refused `thread_not_found`: the
thread is gone, so the reply can never be posted there. Taken for a lookup failure that will not
pass by itself, the channel was reported `history_unreadable` (grant channels:history) and the
reply held pass after pass (for ever with `unchecked_post_after_minutes: null`). It is dropped
with its reason, and the channel's history stays known readable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ReplyRow
from newsmon.health import ProblemKind
from newsmon.pipeline import Context, deliver
from newsmon.pipeline.checkup import health_report
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

# an answer broken off mid-body: lost, the reply may have been posted (here it was not)
LOST = Scripted(200, {"ok": True, "channel": "C1", "ts": "1.0"}, cut=5)


def _problem_kinds(ctx: Context) -> set[ProblemKind]:
    return {p.kind for p in health_report(ctx.store, ctx.config, datetime.now(UTC)).problems}


def _reply(ctx: Context) -> tuple[AlertStatus, str | None]:
    with ctx.store.session() as s:
        row = s.scalars(select(ReplyRow)).one()
        return row.status, row.last_error


def test_a_lost_reply_whose_thread_was_deleted_is_dropped_not_an_unreadable_history(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    slack: dict[str, Any] = {"retry_delays_minutes": [0.0], "unchecked_post_after_minutes": None}
    ctx = context(config_path(tmp_path, db_url, **slack), fake)
    try:
        [article, other] = queue_alerts(ctx.store, {"#news": 2})
        assert deliver(ctx).sent == 2
        wire = ctx.store.sync_feed("wire-copy", "https://wire.example/feed.xml", "en")
        assert ctx.store.queue_replies(article, wire.id, "https://wire.example/copy") == 1
        fake.channel_script["#news"] = [LOST]
        assert deliver(ctx).retrying == 1  # the reply's answer was lost
        with ctx.store.session() as s:
            parent = s.scalar(select(AlertRow.slack_ts).where(AlertRow.article_id == article))
        fake.posts[:] = [p for p in fake.posts if p["ts"] != parent]  # deleted in Slack

        outcome = deliver(ctx)
        status, reason = _reply(ctx)
        assert status is AlertStatus.SKIPPED and reason and "thread_not_found" in reason
        assert outcome.held == 0 and not outcome.history_errors
        assert ProblemKind.HISTORY_UNREADABLE not in _problem_kinds(ctx)
        assert deliver(ctx).held == 0  # never looked up again

        # the channel's other lookups: a lost reply under the other story is found, not held
        assert ctx.store.queue_replies(other, wire.id, "https://wire.example/copy2") == 1
        fake.channel_script["#news"] = [Scripted(503, {"ok": False, "error": "internal_error"})]
        assert deliver(ctx).retrying == 1
        again = deliver(ctx)
        assert (again.replies_sent, again.held) == (1, 0)
        assert ProblemKind.HISTORY_UNREADABLE not in _problem_kinds(ctx)
    finally:
        ctx.close()
    assert len(fake.replies()) == 1


def test_a_lost_reply_slack_posted_at_the_top_level_is_deleted_once_its_thread_is_gone(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The story's message deleted as its reply went out: Slack posted the reply at the
    channel's top level, and the answer saying so was lost (a timeout). The next pass's lookup
    in the thread was refused `thread_not_found` and the reply dropped, but it stood at the
    top level for good, away from its story."""
    slack: dict[str, Any] = {"retry_delays_minutes": [0.0], "timeout": 1.0}
    ctx = context(config_path(tmp_path, db_url, **slack), fake)
    try:
        [article] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        [parent] = fake.top_level("#news")
        wire = ctx.store.sync_feed("wire-copy", "https://wire.example/feed.xml", "en")
        assert ctx.store.queue_replies(article, wire.id, "https://wire.example/copy") == 1
        fake.unthreaded.add(parent["ts"])  # deleted as the reply goes out
        fake.delay_after, fake.delay_after_from = 2.0, 1  # its answer comes too late: lost
        assert deliver(ctx).retrying == 1
        fake.delay_after = 0.0
        fake.posts.remove(parent)
        assert len(fake.top_level("#news")) == 1  # the reply, at the top level

        outcome = deliver(ctx)
        status, _ = _reply(ctx)
        assert status is AlertStatus.SKIPPED and outcome.replies_sent == 0
        assert fake.top_level("#news") == []
        [deleted] = fake.deleted
        assert deleted["metadata"]["event_type"] == "newsmon_reply"
    finally:
        ctx.close()
