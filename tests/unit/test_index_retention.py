"""Retention of the near-duplicate index on a SQLite file: what pruning must leave in it."""

import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.dedup import BANDS, content_hash
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


def test_a_prune_batch_does_not_hold_the_bodies_of_long_articles(store: Store) -> None:
    """A prune batch read every article's whole text (up to `extract.max_text_chars` each, a
    hostile site's pages all that long) to recompute short items' body keys, which a long
    article does not have: 500 such Korean pages held ~200 MB in Python (and as much again in
    PostgreSQL's client buffer) at the end of a pass."""
    text = ("인공지능 안전 연구소가 새 평가 결과를 발표했다. " * 8000)[:200_000]
    signed = new_article("https://a.example/0", text, signed=True)
    ids = [  # one signature for all (hashing the text is the slow part), one hash each
        store.add_article(
            replace(signed, canonical_url=u, url=u, content_hash=content_hash(u + text))
        ).id
        for u in (f"https://a.example/{i}" for i in range(60))
    ]
    first_seen(store, ids, utcnow() - timedelta(days=40))
    assert band_rows(store) == len(ids) * 2 * BANDS  # its signature's bands and its lead's

    tracemalloc.start()
    try:
        dropped = store.retention.drop_old_bands(utcnow() - timedelta(days=30), 500)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert dropped == len(ids) and band_rows(store) == 0
    assert peak < 4_000_000, f"{peak / 1e6:.0f} MB held for {len(ids)} articles"
