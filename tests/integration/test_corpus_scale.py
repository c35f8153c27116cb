"""A year-old corpus (some 300,000 articles): what a pass asks of it every time finds its rows
through an index, on SQLite as on PostgreSQL, instead of reading every article
(bench/bench_corpus_queries.py times these calls on such a corpus)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, NewSighting
from newsmon.corpus.schema import AlertRow
from tests.support.articles import new_article
from tests.support.query_plans import scans_of

KEYED = "https://private.example/feed.xml?apikey=s3cret-k3y"


def _corpus(db_url: str) -> tuple[Store, int]:
    store = Store.open(db_url)
    keyed = store.sync_feed("private", KEYED, "en").id
    other = store.sync_feed("public", "https://public.example/feed.xml", "en").id
    for i in range(4):
        feed = keyed if i % 2 else other
        stored = store.add_article(
            new_article(f"https://a.example/{i}", f"story {i}", feed_id=feed)
        ).id
        store.record_sightings(other, [NewSighting(stored, f"https://a.example/{i}?amp")])
        store.enqueue_alert(stored, "#news", ["policy"])
    return store, keyed


def test_a_keyed_feeds_pass_reads_its_own_articles_not_the_whole_corpus(db_url: str) -> None:
    """Every pass of a feed whose URL carries a key looks for its stories stored with the key
    (`forget_feed_keys`). With no index on the feed of an article, that read the whole
    articles table, per keyed feed and per pass: 145 ms on PostgreSQL, 165 ms on SQLite at
    300,000 articles, growing with the corpus."""
    store, keyed = _corpus(db_url)
    try:
        for table in ("articles", "article_sightings"):
            assert scans_of(store, table, lambda: store.forget_feed_keys(keyed, KEYED)) == []
    finally:
        store.close()


def test_feed_health_counts_articles_without_reading_every_article(db_url: str) -> None:
    """Each pass's health check and `newsmon feeds` count every feed's articles and find its
    newest (`feed_health`): that read every article's row, bodies and all (170 ms on
    PostgreSQL, 410 ms on SQLite at 300,000 articles, every pass); the counts now come from
    an index by feed."""
    store, _ = _corpus(db_url)
    try:
        since = utcnow() - timedelta(days=1)

        def pass_start_and_health() -> None:
            store.feeds_with_pages_due(utcnow())
            store.feed_health(pages_since=since)

        for table in ("articles", "article_sightings"):
            assert scans_of(store, table, pass_start_and_health) == []
    finally:
        store.close()


def test_a_digest_and_health_find_posted_alerts_without_reading_every_alert(db_url: str) -> None:
    """A digest looks for the alerts posted in its period, and health (alerts off) for the last
    alert posted: both read every alert of the corpus (30,000 a year), each time."""
    store, _ = _corpus(db_url)
    try:
        now = utcnow()
        with store.engine.begin() as conn:
            conn.execute(update(AlertRow).values(status=AlertStatus.SENT, sent_at=now))
        since, until = now - timedelta(hours=1), now + timedelta(hours=1)

        def digest_and_health() -> None:
            assert store.digests.digest_channels(since, until) == ["#news"]
            assert len(store.digests.digest_stories("#news", since, until)) == 4
            store.alert_views.held_back_while_off()

        assert scans_of(store, "alerts", digest_and_health) == []
    finally:
        store.close()
