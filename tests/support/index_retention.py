"""Retention of the near-duplicate index, checked the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import ClusterMatch, DuplicateReason
from newsmon.corpus.schema import ArticleBandRow, ArticleRow
from newsmon.dedup import BANDS
from newsmon.pipeline import PruneOutcome, prune_index
from tests.support.articles import new_article

STORY = " ".join(
    f"Paragraph {i}: the ministry said on Monday that its compute programme will lend "
    f"{i + 3},000 GPUs to universities, and that applications for round {i % 4} open in spring."
    for i in range(10)
)
RECENT = " ".join(
    f"Part {i}: the lab released the weights of its {i + 7}B model under an open licence, with "
    f"training code and a report on {i % 3 + 2} safety evaluations run before the release."
    for i in range(10)
)
SUMMARY = (
    "The agency said on Friday that it would review chip export licences within ten days "
    "instead of thirty, starting next month."
)


def band_rows(store: Store, article_id: int | None = None) -> int:
    query = select(func.count()).select_from(ArticleBandRow)
    if article_id is not None:
        query = query.where(ArticleBandRow.article_id == article_id)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def first_seen(store: Store, ids: Sequence[int], when: datetime) -> None:
    """As if the store had first seen these articles at `when`."""
    with store.engine.begin() as conn:
        conn.execute(update(ArticleRow).where(ArticleRow.id.in_(ids)).values(first_seen_at=when))


def check_index_retention(store: Store) -> None:
    """Old stories leave the index, a share at a time, and nothing a live pass decides changes:
    an identical body is still found at any age, a recent story's copies still join it, and an
    edit of an old article puts it back in the index."""
    now = utcnow()
    old = now - timedelta(days=40)

    head = store.add_article(new_article("https://a.example/1", STORY, signed=True))
    exact = store.add_article(new_article("https://b.example/1", STORY, signed=True))
    short = store.add_article(
        new_article(
            "https://a.example/2",
            f"Faster licences\n{SUMMARY}",
            signed=True,
            title="Faster licences",
        )
    )
    recent = store.add_article(
        new_article("https://c.example/1", RECENT, signed=True, published_at=now)
    )
    assert exact.duplicate_reason is DuplicateReason.HASH  # a hash copy has no rows of its own
    first_seen(store, [head.id, exact.id, short.id], old)
    kept = band_rows(store, recent.id)
    assert band_rows(store, head.id) == 2 * BANDS and band_rows(store, short.id) > 0 and kept > 0

    before = now - timedelta(days=30)
    assert store.retention.count_old_indexed(before) == 3
    assert prune_index(store, 30, now, 2) == PruneOutcome(2, True, before)  # a pass's share
    assert prune_index(store, 30, now, 0) == PruneOutcome(1, False, before)  # the rest
    assert band_rows(store, head.id) == band_rows(store, short.id) == 0
    assert band_rows(store) == kept  # only the recent story is left in the index
    assert prune_index(store, 30, now, 0) == PruneOutcome(0, False, before)  # marked: done
    assert prune_index(store, None, now, 0) == PruneOutcome(0, False, None)  # retention off

    # what a live pass decides is unchanged
    same = new_article("https://d.example/1", STORY, signed=True, published_at=now)
    assert store.find_cluster(same) == ClusterMatch(head.id, DuplicateReason.HASH, 1.0)
    copy = new_article(
        "https://d.example/2", RECENT[: len(RECENT) * 7 // 10], signed=True, published_at=now
    )
    match = store.find_cluster(copy)
    assert match is not None and match.head_id == recent.id
    assert match.reason is DuplicateReason.NEAR

    # an edit re-indexes an old article; the next prune takes it out again
    edited = new_article(
        "https://a.example/1", STORY.replace("Paragraph 2:", "Paragraph 2, corrected:"), signed=True
    )
    assert store.update_article(head.id, edited).changed is True
    assert band_rows(store, head.id) == 2 * BANDS  # its signature's bands and its lead's
    assert store.retention.count_old_indexed(before) == 1
    assert prune_index(store, 30, now, 0).dropped == 1 and band_rows(store, head.id) == 0


def check_a_page_read_late_still_finds_its_story(store: Store) -> None:
    """A teaser whose page is still to be tried keeps the stories it may join in the index.

    Its page is read on a later pass (a site down for weeks: its pages wait without a try
    counted), and the article is deduplicated against the stories near it, not near now. Were
    those stories out of the index, a near copy of a story announced weeks ago would stand
    alone and be announced on its channel a second time."""
    from newsmon.corpus.records import StoredMatch

    now = utcnow()
    old = now - timedelta(days=40)
    topic = StoredMatch("open-source", 3, [{"term": "open-weight"}], "open-weight")
    wire = store.sync_feed("wire", "https://wire.example/feed", "en").id
    desk = store.sync_feed("desk", "https://desk.example/feed", "en").id
    origin = store.add_article(
        new_article("https://wire.example/1", STORY, signed=True, feed_id=wire, published_at=old),
        [topic],
        "v1",
        {"#os": ["open-source"]},
    )
    teaser_text = "A ministry lends GPUs to universities."
    teaser = store.add_article(
        new_article(
            "https://desk.example/1",
            teaser_text,
            signed=True,
            feed_id=desk,
            text_source="feed-summary",
            published_at=old,
            page_failed=True,
            page_retry_at=now,
        )
    )
    first_seen(store, [origin.id, teaser.id], old)

    prune_index(store, 30, now, 0)

    page = new_article(
        "https://desk.example/1",
        STORY[: len(STORY) * 7 // 10],
        signed=True,
        feed_id=desk,
        published_at=old,
    )
    recovered = store.recover_page(
        teaser.id, teaser_text, page, [topic], "v1", {"#os": ["open-source"]}
    )
    assert recovered.replaced
    assert recovered.alerts_queued == 0  # the story spoke on #os already
    assert recovered.duplicate_of == origin.id and recovered.joined
