"""Sources that carried a story before it was announced, on SQLite and PostgreSQL with the real
slack_sdk against the fake Slack on loopback.

A story first seen as a teaser (no topic matched) is announced by the first copy that matches:
its alert names that copy's source. The teaser's source had carried the story first, yet it was
never named, neither in the alert nor in its thread (a reply is queued only when a copy comes
after the alert). It now gets its "also reported by" reply in the thread, as a later copy does.
"""

from __future__ import annotations

from pathlib import Path

from newsmon.corpus.records import AlertStatus, StoredMatch
from newsmon.pipeline import deliver
from tests.support.articles import new_article
from tests.support.dedup_set import pieces
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack

MATCH = [StoredMatch("policy", 1.0, [], "snippet")]


def test_a_source_seen_before_the_story_was_announced_is_named_in_its_thread(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    body = "\n".join(next(p for p in pieces() if p.kind == "story" and not p.short).paragraphs)
    ctx = context(config_path(tmp_path, db_url), slack)
    try:
        store = ctx.store
        first = store.sync_feed("wire-first", "https://first.example/feed.xml", "en")
        later = store.sync_feed("wire-later", "https://later.example/feed.xml", "en")
        teaser = new_article("https://first.example/s", body, signed=True, feed_id=first.id)
        silent = store.add_article(teaser)  # no topic matched: no alert
        copy = new_article("https://later.example/s", body, signed=True, feed_id=later.id)
        spoke = store.add_article(copy, MATCH, "v1", {"#news": ["policy"]})
        assert (spoke.duplicate_of, spoke.alerts_queued) == (silent.id, 1)

        outcome = deliver(ctx)
        assert (outcome.sent, outcome.replies_sent) == (1, 1)
        assert store.replies.count_replies(AlertStatus.SENT) == 1
    finally:
        ctx.close()
    [alert] = slack.top_level("#news")
    [reply] = slack.replies()
    assert "wire-first" in reply["text"] and "https://first.example/s" in reply["text"]
    assert reply["thread_ts"] == alert["ts"]
