"""The stored link-less articles of one feed (`Store.linkless_of_feed`), where an entry its
CMS renames every pass is looked for (`pipeline.entry_keys.renamed`). Real Store on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import FeedSpec
from newsmon.dedup import entry_identity
from tests.support.articles import new_article


def test_only_the_feed_s_recent_dated_link_less_rows(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        feeds = store.feeds.sync_feeds(
            [FeedSpec(n, f"https://{n}.example/feed", None) for n in ("wire", "other")]
        )
        wire, other = feeds["wire"].id, feeds["other"].id
        now = utcnow().replace(microsecond=0)

        def add(key: str, feed_id: int, dated: bool = True) -> int:
            article = new_article(
                key, f"{key} story", feed_id=feed_id, guid="g", published_at=now if dated else None
            )
            return store.add_article(article).id

        wanted = add(entry_identity(None, "wire", "g1", ""), wire)
        add("https://wire.example/story", wire)  # has a link
        add(entry_identity(None, "other", "g1", ""), other)  # another feed's
        add(entry_identity(None, "wire", "g2", ""), wire, dated=False)  # nothing to match on
        rows = store.linkless_of_feed(wire, now - timedelta(days=1))
        assert [(r.id, r.guid, r.published_at) for r in rows] == [(wanted, "g", now)]
        assert store.linkless_of_feed(wire, now + timedelta(days=1)) == []
    finally:
        store.close()


def test_a_link_less_story_takes_the_link_its_entry_gives_at_last(db_url: str) -> None:
    """`Store.link_found`: the story is found under its link's key, links it, and its page is
    due now (not for a link naming no page to read); a link another story holds, or a story
    with a link already, is left as it is."""
    store = Store.open(db_url)
    try:
        wire = store.feeds.sync_feeds([FeedSpec("wire", "https://wire.example/feed", None)])
        feed_id = wire["wire"].id
        now = utcnow().replace(microsecond=0)

        def add(key: str) -> int:
            article = new_article(key, f"{key} story", feed_id=feed_id, published_at=now)
            return store.add_article(article).id

        bare = add(entry_identity(None, "wire", "g1", ""))
        held = add("https://wire.example/held")
        other = add(entry_identity(None, "wire", "g2", ""))
        link = "https://wire.example/news/1?from=rss"
        assert store.link_found(bare, "https://wire.example/news/1", link, now)
        assert (
            store.known_articles(["https://wire.example/news/1"])["https://wire.example/news/1"].id
            == bare
        )
        [due] = store.pages_to_retry(feed_id, now, 10)
        assert (due.id, due.url, due.attempts) == (bare, link, 0)
        assert not store.link_found(bare, "https://wire.example/news/2", link, now)  # linked
        assert not store.link_found(other, "https://wire.example/held", link, now)  # taken
        assert (
            store.known_articles(["https://wire.example/held"])["https://wire.example/held"].id
            == held
        )
        # a digest's item takes its link, its page not read (the item is its own text)
        item = "https://wire.example/digest#item-2"
        assert store.link_found(other, item, item, None)
        assert store.known_articles([item])[item].id == other
        assert [p.id for p in store.pages_to_retry(feed_id, now, 10)] == [bare]
    finally:
        store.close()
