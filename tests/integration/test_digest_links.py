"""The link and source a digest line gives an aggregator's item: the publisher's own page once a
copy on its site is in the corpus, as its alert gives (`own_links.shown_link`), never another
site's copy of the story. The real store, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete

from newsmon.aggregated import site_of
from newsmon.corpus.schema import AlertRow, ArticleRow, FeedRow
from newsmon.corpus.store import Store
from tests.support.delivery import announce_alerts, config_path, context

WRAPPER = "https://news.aggregator.test/rss/articles/CBMiXYZ?oc=5"


def _feed(store: Store, name: str) -> int:
    with store.session() as s:
        row = FeedRow(name=name, url=f"https://{name.lower().replace(' ', '-')}.test/feed.xml")
        s.add(row)
        s.flush()
        return row.id


def _copy(store: Store, article_id: int, head: int, feed: int, link: str) -> None:
    """Make `article_id` an own-feed copy of `head`'s story, read from `feed` at `link`."""
    with store.session() as s:
        row = s.get(ArticleRow, article_id)
        assert row is not None
        row.duplicate_of_id, row.feed_id, row.url, row.publisher = head, feed, link, None
        s.execute(delete(AlertRow).where(AlertRow.article_id == article_id))


def test_a_digest_links_an_aggregated_story_on_its_publisher_s_site_only(
    tmp_path: Path, db_url: str
) -> None:
    """The story's first copy from any site's own feed was taken for the publisher's page: a
    digest named and linked another site (whose copy the corpus merged into the story) while
    the alert linked the wrapper or the publisher's own page."""
    ctx = context(config_path(tmp_path, db_url), None)
    try:
        store = ctx.store
        head, other, own = announce_alerts(store, {"#a": 3})
        aggregator, rival, times = (_feed(store, n) for n in ("Agg News", "Rival", "Times"))
        with store.session() as s:
            row = s.get(ArticleRow, head)
            assert row is not None
            row.feed_id, row.url = aggregator, WRAPPER
            row.publisher, row.publisher_site = (
                "Example Times",
                site_of("https://example-times.com"),
            )
            s.execute(delete(AlertRow).where(AlertRow.article_id == own))  # read later
        _copy(store, other, head, rival, "https://rival.com/2025/their-take")
        now = datetime.now(UTC)
        period = (now - timedelta(hours=1), now + timedelta(minutes=1))

        [story] = store.digests.digest_stories("#a", *period)
        assert (story.url, story.source) == (WRAPPER, "Example Times via Agg News")

        _copy(store, own, head, times, "https://www.example-times.com/2025/story?utm_source=x")
        [story] = store.digests.digest_stories("#a", *period)
        assert story.url == "https://www.example-times.com/2025/story"
        assert story.source == "Times"
    finally:
        ctx.close()


def test_a_publisher_s_page_is_found_under_any_spelling_of_its_host(
    tmp_path: Path, db_url: str
) -> None:
    """The `<source>` wrote the publisher's host in Unicode or full width (`한국일보.kr`,
    `ＹＮＡ.co.kr`) and its own feed in punycode or capitals: its site never matched, so the
    digest and the alert linked the aggregator's wrapper. A site stored by the previous release
    as written (Unicode) is still the publisher's."""
    ctx = context(config_path(tmp_path, db_url), None)
    try:
        store = ctx.store
        head, other, own = announce_alerts(store, {"#a": 3})
        aggregator, times = _feed(store, "Agg News"), _feed(store, "Hankook")
        with store.session() as s:
            row = s.get(ArticleRow, head)
            assert row is not None
            row.feed_id, row.url = aggregator, WRAPPER
            row.publisher, row.publisher_site = "한국일보", "한국일보.kr"  # as stored before
            s.execute(delete(AlertRow).where(AlertRow.article_id.in_((own, other))))
        _copy(store, own, head, times, "https://WWW.XN--3E0BM80AC2H5NO.KR./2025/story")
        now = datetime.now(UTC)
        period = (now - timedelta(hours=1), now + timedelta(minutes=1))
        [story] = store.digests.digest_stories("#a", *period)
        assert story.url == "https://www.xn--3e0bm80ac2h5no.kr/2025/story"
        assert story.source == "Hankook"

        with store.session() as s:
            row = s.get(ArticleRow, head)
            assert row is not None
            row.publisher, row.publisher_site = "연합뉴스", site_of("https://ＹＮＡ.co.kr/")
        _copy(store, own, head, times, "https://www.yna.co.kr/view/AKR2025")
        [story] = store.digests.digest_stories("#a", *period)
        assert story.url == "https://www.yna.co.kr/view/AKR2025"
    finally:
        ctx.close()
