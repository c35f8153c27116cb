"""Thread replies of a held-back alert that `backfill --alerts` brings back, on SQLite and
PostgreSQL with the real slack_sdk against the fake Slack on loopback.

An alert held back (too old when first seen, or its topic withdrawn by a backfill) and then
re-queued by `backfill --alerts` (`Outbox.enqueue_alert(revive_skipped=True)`) posted without
the replies naming the sources seen meanwhile: those dropped while it was held stayed dropped,
and a copy seen while it was held queued none. `newsmon alerts retry` already brought them
back (tests/integration/test_requeued_replies.py); a backfill now does the same.
"""

from __future__ import annotations

from pathlib import Path

from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.outbox import withdraw_unmatched
from newsmon.corpus.records import AlertStatus, StoredMatch
from newsmon.pipeline import Context, deliver, reclassify_batch
from tests.integration.test_backfill_overlap import EPOCH, RULES
from tests.integration.test_requeued_replies import copy_from, reply_sources
from tests.support.articles import new_article
from tests.support.configs import write_config
from tests.support.delivery import FAST, context
from tests.support.fake_slack import FakeSlack

TITLE = "FTC opens AI chips inquiry"
TEXT = "The FTC opened an inquiry; regulation of AI chips may follow."
TOO_OLD = Hold(HoldReason.TOO_OLD, "older than 24 h when first seen")


def _context(tmp_path: Path, db_url: str, slack: FakeSlack) -> Context:
    """A pass's context whose rules match the story (policy) and route it to #news."""
    topics = tmp_path / "topics.yaml"
    topics.write_text(RULES, encoding="utf-8")
    config = write_config(
        tmp_path, database_url=db_url, topics=topics, default_channel="#news", slack=FAST
    )
    return context(config, slack)


def _story(ctx: Context, status: AlertStatus, note: Hold | None = None) -> int:
    """The story's first article from feed "origin", its alert for #news queued as `status`."""
    feed = ctx.store.sync_feed("origin", "https://origin.example/feed.xml", "en")
    article = new_article(
        "https://origin.example/s", TEXT, title=TITLE, signed=True, feed_id=feed.id
    )
    stored = ctx.store.add_article(
        article,
        [StoredMatch("policy", 3, [], "snippet")],
        ctx.rules.version,
        {"#news": ["policy"]},
        status,
        note,
    )
    return stored.id


def _backfill_with_alerts(ctx: Context) -> int:
    """`backfill --alerts` over the whole corpus: how many alerts it queued."""
    rows = [r for batch in ctx.store.reclassify_batches(EPOCH, None) for r in batch]
    return reclassify_batch(ctx, rows, queue_alerts=True).alerts_queued


def _delivered(ctx: Context) -> tuple[int, int]:
    """One delivery: (alerts, replies) it posted."""
    outcome = deliver(ctx)
    return outcome.sent, outcome.replies_sent


def test_a_story_too_old_when_seen_names_its_later_copies_once_a_backfill_announces_it(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = _context(tmp_path, db_url, slack)
    try:
        article = _story(ctx, AlertStatus.SKIPPED, TOO_OLD)
        copy_from(ctx, article, "wire")
        copy_from(ctx, article, "daily")
        assert _delivered(ctx) == (0, 0)  # held back: nothing to thread under

        assert _backfill_with_alerts(ctx) == 1
        assert _delivered(ctx) == (1, 2)
        [announced] = slack.top_level("#news")
        # both copies, in the order seen, in one reply: one notification to the thread
        assert [p["thread_ts"] for p in slack.replies()] == [announced["ts"]]
        assert reply_sources(slack) == ["wire and daily"]

        assert _backfill_with_alerts(ctx) == 0  # announced: nothing goes out twice
        assert _delivered(ctx) == (0, 0)
    finally:
        ctx.close()
    assert len(slack.replies()) == 1


def test_a_withdrawn_alert_a_backfill_brings_back_brings_its_dropped_replies(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    ctx = _context(tmp_path, db_url, slack)
    try:
        article = _story(ctx, AlertStatus.PENDING)
        assert copy_from(ctx, article, "wire") == 1
        # a backfill under rules that no longer matched the topic withdrew the alert...
        with ctx.store.session() as s:
            assert withdraw_unmatched(s, article, set()) == 1
        assert _delivered(ctx) == (0, 0)  # ...and the pass dropped its reply
        assert ctx.store.replies.count_replies(AlertStatus.SKIPPED) == 1

        assert _backfill_with_alerts(ctx) == 1  # the rules match again
        assert _delivered(ctx) == (1, 1)
        assert reply_sources(slack) == ["wire"]
        assert slack.replies()[0]["thread_ts"] == slack.top_level("#news")[0]["ts"]
    finally:
        ctx.close()
