"""Retention of the near-duplicate index on a SQLite file: what pruning must leave in it."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.pipeline import PruneOutcome, prune_index
from tests.support.articles import new_article
from tests.support.index_retention import (
    STORY,
    band_rows,
    check_a_page_read_late_still_finds_its_story,
    first_seen,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    yield s
    s.close()


def test_a_page_read_late_still_finds_its_story(store: Store) -> None:
    check_a_page_read_late_still_finds_its_story(store)


def test_a_page_no_longer_tried_holds_no_story_in_the_index(store: Store) -> None:
    """A teaser whose feed left the configuration keeps its time of next try for ever; once
    that lies further back than the retention, old stories leave the index as before."""
    now = utcnow()
    old = now - timedelta(days=40)
    kept = store.add_article(new_article("https://a.example/1", STORY, signed=True))
    stuck = store.add_article(
        new_article(
            "https://gone.example/1",
            "A teaser of a feed since removed.",
            signed=True,
            text_source="feed-summary",
            page_failed=True,
            page_retry_at=old,
        )
    )
    first_seen(store, [kept.id, stuck.id], old)
    assert prune_index(store, 30, now, 0) == PruneOutcome(2, False, now - timedelta(days=30))
    assert band_rows(store) == 0
