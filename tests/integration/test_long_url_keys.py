"""Stored canonical URLs, on SQLite and PostgreSQL. Keys longer than `articles.canonical_url`
holds (2,000 characters): two pages whose keys differ only past that are two articles, each
found by its own key, and a row stored under the cut key (as newsmon stored long keys before)
is still found. A row stored under a key an earlier newsmon gave is found by its own page only.
Either way a stored story is not fetched and announced again."""

from __future__ import annotations

from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.records import DuplicateURLError
from newsmon.corpus.schema import MAX_URL, ArticleRow
from newsmon.corpus.url_keys import stored_key
from newsmon.urls import canonical_url
from tests.support.articles import new_article

PREFIX = "https://news.example.kr/view?ctx=" + "x" * MAX_URL
FIRST, SECOND = PREFIX + "&id=1", PREFIX + "&id=2"
SHORT = "https://news.example.kr/view?id=3"


def test_keys_differing_past_the_column_are_two_articles(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        first = store.add_article(new_article(FIRST, "one", title="First story"))
        second = store.add_article(new_article(SECOND, "two", title="Second story"))
        short = store.add_article(new_article(SHORT, "three"))
        known = store.known_articles([FIRST, SECOND, SHORT])
        assert {k: v.id for k, v in known.items()} == {
            FIRST: first.id,
            SECOND: second.id,
            SHORT: short.id,
        }
        try:
            store.add_article(new_article(SECOND, "two again"))
            raise AssertionError("the second page was stored twice")
        except DuplicateURLError:
            pass
        with store.session() as s:
            keys = set(s.scalars(select(ArticleRow.canonical_url)))
        assert SHORT in keys  # a key that fits is stored as it is
        assert all(len(k) <= MAX_URL for k in keys)
    finally:
        store.close()


def test_a_row_stored_under_the_cut_key_is_still_found(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        with store.session() as s:  # as newsmon stored a long key before: the column cut it
            s.add(ArticleRow(canonical_url=FIRST, url=FIRST, text="one", text_source="page"))
            s.commit()
        with store.session() as s:
            [legacy] = s.scalars(select(ArticleRow))
        assert legacy.canonical_url == FIRST[:MAX_URL] != stored_key(FIRST)
        assert store.known_articles([FIRST])[FIRST].id == legacy.id
        # a page stored under its own key is its own, not the cut row's
        own = store.add_article(new_article(SECOND, "two"))
        assert store.known_articles([SECOND])[SECOND].id == own.id
    finally:
        store.close()


def test_a_row_stored_under_a_former_key_is_found_by_its_own_page_only(db_url: str) -> None:
    """A board page named by `pk_id` was stored under the key without it: its link still finds
    it (not announced again), another page of the board does not (its story is new)."""
    link = "http://www.board.example.kr/view.php?pk_id=1&utm_source=rss"
    other = "https://board.example.kr/view.php?pk_id=2"
    store = Store.open(db_url)
    try:
        stored = store.add_article(
            new_article("https://board.example.kr/view.php", "one", url=link)
        )
        known = store.known_articles([canonical_url(link), canonical_url(other)])
        assert {k: v.id for k, v in known.items()} == {canonical_url(link): stored.id}
        second = store.add_article(new_article(canonical_url(other), "two", url=other))
        assert store.known_articles([canonical_url(other)])[canonical_url(other)].id == second.id
    finally:
        store.close()
