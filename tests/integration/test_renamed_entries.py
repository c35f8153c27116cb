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
