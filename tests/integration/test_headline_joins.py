"""The headline rule (`clusters.headline_copy`) on the real store, SQLite and PostgreSQL: an
item that is its headline alone joins a story under the same headline only when that headline
is one story's identity, not a title a feed repeats (a daily column, a digest, a section's
name) nor the same words on two unrelated sites. The aggregator case it is for:
tests/integration/test_aggregator_feeds.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from newsmon.corpus import Store
from newsmon.corpus.records import DuplicateReason, FeedSpec, StoredArticle
from tests.support.articles import new_article

DAY = datetime(2025, 2, 24, 7, tzinfo=UTC)
STORY = (
    "OpenAI published the weights of its first open model in years on Tuesday, and "
    "researchers can download the training recipe with them from its site. " * 5
)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url)
    try:
        opened.feeds.sync_feeds(
            [
                FeedSpec(name, f"https://{name}.example/feed", None)
                for name in ("column", "agg", "other", "site")
            ]
        )
        yield opened
    finally:
        opened.close()


def _add(
    store: Store,
    feed: str,
    url: str,
    title: str,
    when: datetime,
    text: str | None = None,
    publisher: str | None = None,
) -> StoredArticle:
    """A headline-only item (its text the headline, the page failed) unless `text` is given."""
    feed_id = store.feeds.sync_feeds([FeedSpec(feed, f"https://{feed}.example/feed", None)])[
        feed
    ].id
    return store.add_article(
        new_article(
            url,
            text if text is not None else title,
            signed=text is not None,
            title=title,
            feed_id=feed_id,
            published_at=when,
            text_source="feed" if text is None else "page",
            page_failed=text is None,
            publisher=publisher,
        )
    )


@pytest.mark.parametrize(
    "title",
    [
        "[AI 브리핑] 오늘의 인공지능 주요 뉴스",
        "This week in AI safety",
        "Weekly open-source roundup",
        "오늘의 AI 정책 동향",
    ],
)
def test_a_recurring_title_s_next_issue_is_not_the_last_one(store: Store, title: str) -> None:
    """A column or digest whose feed repeats its title, headline-only: each day's issue
    joined the day before's (within two days) and was never announced."""
    first = _add(store, "column", "https://column.example/1", title, DAY)
    second = _add(store, "column", "https://column.example/2", title, DAY + timedelta(days=1))
    assert first.duplicate_of is None
    assert second.duplicate_of is None, second


def test_a_recurring_title_listed_by_an_aggregator_does_not_swallow_the_next_issue(
    store: Store,
) -> None:
    """The column's issue and an aggregator's listing of it are one story; the next day's
    issue, under the title its feed carried the day before, is another."""
    title = "[AI 브리핑] 오늘의 인공지능 주요 뉴스"
    first = _add(store, "column", "https://column.example/1", title, DAY)
    listed = _add(store, "agg", "https://agg.example/a1", title, DAY, publisher="Column Daily")
    assert listed.duplicate_of == first.id
    assert listed.duplicate_reason is DuplicateReason.HEADLINE
    second = _add(store, "column", "https://column.example/2", title, DAY + timedelta(days=1))
    assert second.duplicate_of is None, second


@pytest.mark.parametrize(
    "title", ["보도자료: 과학기술정보통신부", "Press release: Ministry of Science and ICT"]
)
def test_two_releases_titled_by_their_section_are_two_stories(store: Store, title: str) -> None:
    """A feed's items without a description whose pages failed, titled by the section: the
    second release joined the first and was never announced."""
    first = _add(store, "site", "https://site.example/r/101", title, DAY)
    second = _add(store, "site", "https://site.example/r/102", title, DAY + timedelta(hours=3))
    assert first.duplicate_of is None
    assert second.duplicate_of is None, second


def test_the_same_words_on_two_unrelated_sites_are_two_stories(store: Store) -> None:
    """A headline-only item of one site (no aggregator vouches for its publisher) under the
    same words as another site's story ("Breaking: …" on one side) joined it."""
    told = _add(
        store,
        "other",
        "https://other.example/s",
        "OpenAI releases an open-weight model",
        DAY,
        text=STORY,
    )
    alone = _add(
        store,
        "site",
        "https://site.example/b",
        "Breaking: OpenAI releases an open-weight model",
        DAY + timedelta(hours=5),
    )
    assert told.duplicate_of is None
    assert alone.duplicate_of is None, alone


def test_two_aggregated_items_of_two_publishers_are_two_stories(store: Store) -> None:
    """One headline the aggregator lists for two publishers is two publishers' stories."""
    title = "Weekly open-source roundup: the models of the week"
    first = _add(store, "agg", "https://agg.example/a1", title, DAY, publisher="Alpha News")
    second = _add(
        store,
        "other",
        "https://other.example/a2",
        title,
        DAY + timedelta(hours=2),
        publisher="Beta Daily",
    )
    same = _add(
        store,
        "other",
        "https://other.example/a3",
        title,
        DAY + timedelta(hours=3),
        publisher="Alpha News",
    )
    assert first.duplicate_of is None
    assert second.duplicate_of is None, second
    assert same.duplicate_of == first.id
