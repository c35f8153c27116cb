"""Sources that carried a story before it was announced, on SQLite and PostgreSQL with the real
slack_sdk against the fake Slack on loopback.

A story first seen as a teaser (no topic matched) is announced by the first copy that matches:
its alert names that copy's source. The teaser's source had carried the story first, yet it was
never named, neither in the alert nor in its thread (a reply is queued only when a copy comes
after the alert). It now gets its "also reported by" reply in the thread, as a later copy does.
"""

from __future__ import annotations

import json
from pathlib import Path

from newsmon.corpus.records import AlertStatus, NewSighting, StoredMatch
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


def test_a_sighting_before_the_story_was_announced_is_named_in_its_thread(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """The teaser's page seen through another feed (a sighting, not a copy) before a copy
    announced the story: that feed carried it too, yet only the teaser's source was named."""
    body = "\n".join(next(p for p in pieces() if p.kind == "story" and not p.short).paragraphs)
    ctx = context(config_path(tmp_path, db_url), slack)
    try:
        store = ctx.store
        first = store.sync_feed("wire-first", "https://first.example/feed.xml", "en")
        aggregator = store.sync_feed("aggregator", "https://agg.example/feed.xml", "en")
        later = store.sync_feed("wire-later", "https://later.example/feed.xml", "en")
        teaser = new_article("https://first.example/s", body, signed=True, feed_id=first.id)
        silent = store.add_article(teaser)  # no topic matched: no alert
        link = "https://agg.example/r?to=first-s"
        assert store.record_sightings(aggregator.id, [NewSighting(silent.id, link)]) == 1
        assert store.queue_replies(silent.id, aggregator.id, link) == 0  # no alert yet
        copy = new_article("https://later.example/s", body, signed=True, feed_id=later.id)
        spoke = store.add_article(copy, MATCH, "v1", {"#news": ["policy"]})
        assert (spoke.duplicate_of, spoke.alerts_queued) == (silent.id, 1)

        outcome = deliver(ctx)
        assert (outcome.sent, outcome.replies_sent) == (1, 2)
    finally:
        ctx.close()
    [reply] = slack.replies()  # the two sources, grouped in one reply
    assert "wire-first" in reply["text"] and "aggregator" in reply["text"]
    assert link in json.dumps(reply["blocks"])  # each source linked to its page


def test_a_sighting_before_a_teasers_page_announced_the_story_is_named_in_its_thread(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """A teaser (its page not read, no topic matched) seen through another feed; its page read
    at last matches and announces the story: the other feed carried it first, never named."""
    full, teaser_text = (
        "\n".join(p.paragraphs) for p in [p for p in pieces() if p.kind == "story"][:2]
    )
    ctx = context(config_path(tmp_path, db_url), slack)
    try:
        store = ctx.store
        first = store.sync_feed("wire-first", "https://first.example/feed.xml", "en")
        aggregator = store.sync_feed("aggregator", "https://agg.example/feed.xml", "en")
        url = "https://first.example/s"
        teaser = new_article(url, teaser_text, signed=True, feed_id=first.id, text_source="feed")
        silent = store.add_article(teaser)  # no topic matched: no alert
        link = "https://agg.example/r?to=first-s"
        assert store.record_sightings(aggregator.id, [NewSighting(silent.id, link)]) == 1
        assert store.queue_replies(silent.id, aggregator.id, link) == 0  # no alert yet
        page = new_article(url, full, signed=True, feed_id=first.id)
        alerts = {"#news": ["policy"]}
        assert (
            store.recover_page(silent.id, teaser_text, page, MATCH, "v1", alerts).alerts_queued == 1
        )

        outcome = deliver(ctx)
        assert (outcome.sent, outcome.replies_sent) == (1, 1)
    finally:
        ctx.close()
    [reply] = slack.replies()
    assert "aggregator" in reply["text"] and link in json.dumps(reply["blocks"])
