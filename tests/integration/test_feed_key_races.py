"""A keyed feed's pass rewriting the stories an earlier newsmon stored with the feed's key
(`forget_feed_keys`) while another pass stores, under the key-free key of one of them, a copy
of another: on real PostgreSQL, the second pass held between the two rewrites by a hook on the
first's statements (no sleeps), and let go once it waits for a lock or is done."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, event, select, text

from newsmon.corpus import Store
from newsmon.corpus.schema import ArticleRow
from newsmon.urls import canonical_url
from tests.support.articles import new_article
from tests.support.postgres import PG_URL, throwaway_schema

KEY = "k-hunter2secret"
FEED = f"https://feeds.example/private.xml?apikey={KEY}"
X_TEXT = "The FTC opened an inquiry into the release of model weights by three labs. " * 8
Y_TEXT = "A court in Seoul ruled on the data protection case against the platform. " * 8


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="feedkeys") as url:
        yield url


def _old_row(store: Store, feed_id: int, link: str, body: str) -> int:
    """A story as an earlier newsmon stored it: the key in its link, GUID and key."""
    keyed = f"{link}?apikey={KEY}"
    article = new_article(
        canonical_url(keyed), body, signed=True, url=keyed, guid=keyed, feed_id=feed_id
    )
    return store.add_article(article).id


@pytest.mark.postgres
def test_a_copy_stored_under_a_key_being_rewritten_deadlocks_neither_pass(pg_url: str) -> None:
    """The rewrite held the first story's row (its key changed) while it waited for the copy's
    new key, and the copy waited for that row (it points at it): PostgreSQL broke the deadlock
    by aborting one pass's write (its feed failed, or the copy was lost)."""
    app = f"feedkeys_{uuid.uuid4().hex[:12]}"
    rewriting, storing = Store.open(pg_url), Store.open(f"{pg_url}&application_name={app}")
    admin = create_engine(PG_URL)
    try:
        feed = rewriting.sync_feed("private", "https://feeds.example/private.xml", None)
        x = _old_row(rewriting, feed.id, "https://pub.example/x", X_TEXT)
        _old_row(rewriting, feed.id, "https://pub.example/y", Y_TEXT)
        go, stored, errors = threading.Event(), threading.Event(), list[BaseException]()
        updates = [0]

        def store_copy() -> None:  # X's story, found under Y's link in a public feed
            go.wait(10)
            try:
                storing.add_article(new_article("https://pub.example/y", X_TEXT, signed=True))
            except BaseException as exc:
                errors.append(exc)
            finally:
                stored.set()

        def waiting() -> bool:
            with admin.connect() as conn:
                return bool(
                    conn.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a "
                            "AND wait_event_type = 'Lock'"
                        ),
                        {"a": app},
                    ).scalar()
                )

        def hook(_conn: Any, _cur: Any, sql: str, *_: Any) -> None:
            if sql.startswith("UPDATE articles SET") and "canonical_url" in sql:
                updates[0] += 1
                if updates[0] == 2:  # between the first story's rewrite and the second's
                    go.set()
                    deadline = time.monotonic() + 10
                    while not stored.is_set() and not waiting() and time.monotonic() < deadline:
                        time.sleep(0.005)

        thread = threading.Thread(target=store_copy, daemon=True)
        thread.start()
        event.listen(rewriting.engine, "before_cursor_execute", hook)
        try:
            rewriting.forget_feed_keys(feed.id, FEED)
        finally:
            event.remove(rewriting.engine, "before_cursor_execute", hook)
            go.set()
            thread.join(15)
        assert updates[0] >= 2, "the rewrite never reached its second story"
        assert errors == []
        with rewriting.session() as s:
            rows = s.execute(select(ArticleRow.url, ArticleRow.duplicate_of_id)).all()
        # every story without the key, and the copy stored, pointing at the first story
        assert not [url for url, _ in rows if KEY in url]
        assert sorted((url, dup or 0) for url, dup in rows) == [
            ("https://pub.example/x", 0),
            ("https://pub.example/y", 0),
            ("https://pub.example/y", x),
        ]
    finally:
        rewriting.close()
        storing.close()
        admin.dispose()
