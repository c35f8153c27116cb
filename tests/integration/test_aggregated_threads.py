"""A story an aggregator's feed carries for other publishers (`<source>`, Google News style), in
its thread and in the digest: the publisher is named ("Example Times via agg"), not the feed,
and a digest links a publisher's own page when the story has one, the aggregator's wrapper
page only as a last resort. Real store (SQLite and PostgreSQL), real slack_sdk, fake Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from newsmon.corpus.records import AlertStatus, StoredMatch
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import deliver
from newsmon.pipeline.digests import run_digest
from newsmon.slack import make_sender
from tests.support.articles import new_article
from tests.support.dedup_set import pieces
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack

MATCH = [StoredMatch("policy", 1.0, [], "snippet")]
PUBLISHERS = ["Example Times", "Daily Wire Co", "Le Monde Test", "Tech Herald", "The Gazette"]


def _body() -> str:
    return "\n".join(next(p for p in pieces() if p.kind == "story" and not p.short).paragraphs)


def test_a_storys_copies_from_an_aggregator_name_each_publisher_in_its_thread(
    tmp_path: Path, fake: FakeSlack, db_url: str
) -> None:
    """Five search-feed items naming five publishers: the thread named "agg" once (one reply
    per source, the feed's name the source) and four publishers were lost."""
    body = _body()
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        store = ctx.store
        own = store.sync_feed("own", "https://own.example/feed.xml", "en")
        agg = store.sync_feed("agg", "https://agg.example/search.xml", "en")
        head = new_article("https://own.example/s", body, signed=True, feed_id=own.id)
        assert store.add_article(head, MATCH, "v1", {"#news": ["policy"]}).alerts_queued == 1
        for n, publisher in enumerate(PUBLISHERS):
            wrapper = f"https://agg.example/rss/articles/CBMi{n}"
            copy = new_article(wrapper, body, signed=True, feed_id=agg.id, publisher=publisher)
            store.add_article(copy)
        outcome = deliver(ctx)
        assert (outcome.sent, outcome.replies_sent) == (1, 5)
    finally:
        ctx.close()
    [reply] = fake.replies()
    shown = json.dumps(reply["blocks"])
    for publisher in PUBLISHERS:
        assert f"{publisher} via agg" in reply["text"], reply["text"]
        assert f"{publisher} via agg" in shown
    assert "https://agg.example/rss/articles/CBMi4" in shown  # the wrapper: nothing better known


def test_a_digest_links_a_publishers_own_page_of_an_aggregated_story(
    tmp_path: Path, fake: FakeSlack, db_url: str
) -> None:
    """A story announced from a search feed and later read from the publisher's own feed: the
    digest linked the aggregator's wrapper page and named the feed; now the publisher's page."""
    body = _body()
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        store = ctx.store
        agg = store.sync_feed("agg", "https://agg.example/search.xml", "en")
        own = store.sync_feed("own", "https://own.example/feed.xml", "en")
        wrapper = "https://agg.example/rss/articles/CBMiK2h0"
        item = new_article(
            wrapper, body, signed=True, feed_id=agg.id, publisher="Example Times", title="Story"
        )
        lone = new_article(
            "https://agg.example/rss/articles/CBMiZZ",
            "another story entirely, about open source models and nothing else",
            signed=True,
            feed_id=agg.id,
            publisher="Tech Herald",
            title="Lone",
        )
        story = store.add_article(item, MATCH, "v1", {"#news": ["policy"]})
        other = store.add_article(lone, MATCH, "v1", {"#news": ["policy"]})
        page = new_article("https://own.example/story", body, signed=True, feed_id=own.id)
        assert store.add_article(page).duplicate_of == story.id
        sent = datetime.now(UTC) - timedelta(hours=1)
        with store.session() as s:
            s.execute(
                update(AlertRow)
                .where(AlertRow.article_id.in_([story.id, other.id]))
                .values(status=AlertStatus.SENT, sent_at=sent, slack_ts="1.0")
            )
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        now = datetime.now(UTC)
        run_digest(ctx, sender, now - timedelta(hours=24), now)
    finally:
        ctx.close()
    [post] = fake.top_level("#news")
    text = json.dumps(post["blocks"])
    assert "https://own.example/story" in text and wrapper not in text, text
    assert "own" in text and "2 sources" in text
    # only the aggregator carried the other story: its publisher named, its wrapper linked
    assert "Tech Herald via agg" in text
    assert "https://agg.example/rss/articles/CBMiZZ" in text
