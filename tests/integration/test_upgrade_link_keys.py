"""Stories stored by an older release under the key its URL cleaning gave their link. Each
cleaning change re-keys some links; a row is found by the key of any release since it was
stored, not only by the latest change's. On SQLite and PostgreSQL.

Before, the entry's former key covered the latest change only (feed marks: `?from=rss`) and the
store's the `pk_` one only, each applied to the current key: a board post stored before both
(`view.php?from=rss`, the `pk_id` dropped and the mark kept) was stored and announced again."""

from __future__ import annotations

import pytest

from newsmon.corpus import Store
from newsmon.feeds import FeedEntry
from newsmon.pipeline.entry_keys import identify, known_articles, wanted
from tests.support.delivery import new_article

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

BOARD = "https://board.example.kr/view.php"


def _entry(link: str) -> FeedEntry:
    return FeedEntry(None, link, f"post {link}", "a board post", None, None)


def test_a_row_keyed_before_two_cleaning_changes_is_still_found(db_url: str) -> None:
    link = f"{BOARD}?pk_id=12&from=rss"  # the link the feed writes, then and now
    other = f"{BOARD}?pk_id=13&from=rss"  # another post of the board: new
    store = Store.open(db_url)
    try:
        # as a release before both changes stored it: `pk_id` dropped, the feed mark kept
        stored = store.add_article(new_article(f"{BOARD}?from=rss", "twelve", url=link))
        identified = identify([_entry(link), _entry(other)], "board")
        known = known_articles(store.known_articles(wanted(identified)), identified)
        assert {identified.entries[k].link: v.id for k, v in known.items()} == {link: stored.id}
    finally:
        store.close()
