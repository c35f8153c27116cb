"""Two workers (two engines, as two processes would have: no shared in-process lock) writing
the same corpus rows at the same moment, on SQLite and PostgreSQL: a sighting recorded by a
pass and a backfill at once, an edit during a prune of the index, a page read at last that makes
a lone article a copy while another worker stores a copy of that article or queues an alert
for it (a backfill).

The interleaving is forced: the first worker stops at a named point (after its reads, before
its writes) and goes on once the second worker has finished (or, when the corpus makes the
second one wait for the first, after `GRACE`, which then changes nothing: the second worker
still acts after the first has committed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, select

from newsmon import clusters
from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus import retention as retention_module
from newsmon.corpus.records import AlertStatus, FeedSpec, NewSighting, StoredMatch
from newsmon.corpus.replies import insert_replies, reply_rows
from newsmon.corpus.schema import AlertRow, ArticleBandRow, ArticleRow, SightingRow
from tests.support.articles import new_article
from tests.support.dedup_set import pieces

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

GRACE = 1.5
MATCH = [StoredMatch("policy", 1.0, [], "snippet")]
ALERTS = {"#policy": ["policy"]}
A = TypeVar("A")
B = TypeVar("B")


@pytest.fixture
def workers(db_url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores on one corpus, migrated before either starts."""
    Store.open(db_url).close()
    one, two = Store.open(db_url), Store.open(db_url)
    try:
        yield one, two
    finally:
        one.close()
        two.close()


class Race:
    """`first` runs in a thread until a hook calls `pause()`, then waits there until `second`
    (started only then, in another thread) has finished, or for `GRACE` once `second` has
    started: the corpus may keep `second` waiting for `first`'s locks."""

    def __init__(self) -> None:
        self.paused = threading.Event()
        self.second_started = threading.Event()
        self.second_done = threading.Event()
        self.pauses = 0

    def pause(self) -> None:
        if threading.current_thread().name != "first" or self.paused.is_set():
            return
        self.pauses += 1
        self.paused.set()
        assert self.second_started.wait(30), "the second worker never started"
        self.second_done.wait(GRACE)

    def run(self, first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
        results: dict[str, Any] = {}
        errors: list[BaseException] = []

        def work(name: str, job: Callable[[], Any]) -> None:
            try:
                if name == "second":
                    assert self.paused.wait(30), "the first worker never reached its pause"
                    self.second_started.set()
                results[name] = job()
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                if name == "second":
                    self.second_done.set()

        threads = [
            threading.Thread(target=work, args=(name, job), name=name)
            for name, job in (("first", first), ("second", second))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        if errors:
            raise errors[0]
        assert self.pauses == 1, "the first worker never reached its pause"
        return results["first"], results["second"]


def stories() -> list[str]:
    """Full-length texts of distinct labelled stories (no two are the same story)."""
    return ["\n".join(p.paragraphs) for p in pieces() if p.kind == "story" and not p.short]


def pause_before(store: Store, race: Race, statement: str) -> None:
    """Make `race.pause()` run just before `store` sends a statement starting so."""

    def before(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().upper().startswith(statement):
            race.pause()

    event.listen(store.engine, "before_cursor_execute", before)


# --- 1. a sighting recorded twice at once -----------------------------------------------------


def test_one_sighting_recorded_by_two_workers_at_once_is_stored_once(
    workers: tuple[Store, Store],
) -> None:
    """A monitor pass and `backfill --urls --feed X` see the same link of feed X for a stored
    article at once: both check, find nothing, and insert. The second insert must not fail
    (that would fail the entry, or the backfill's page, once)."""
    one, two = workers
    feed = one.sync_feed("wire", "https://wire.example/rss", "en")
    stored = one.add_article(new_article("https://a.example/story", stories()[0], signed=True))
    sighting = [NewSighting(stored.id, "https://a.example/story?utm_source=wire&amp=1")]
    race = Race()
    pause_before(one, race, "INSERT INTO ARTICLE_SIGHTINGS")
    first, second = race.run(
        lambda: one.record_sightings(feed.id, sighting),
        lambda: two.record_sightings(feed.id, sighting),
    )
    assert sorted([first, second]) == [0, 1]
    with one.session() as s:
        assert s.scalar(select(func.count()).select_from(SightingRow)) == 1


# --- 2. an edit while the index is pruned -----------------------------------------------------


@pytest.mark.parametrize("fingerprint", ["f2", "f1"])
def test_an_edit_during_a_prune_leaves_the_article_marked_as_its_bands_are(
    monkeypatch: pytest.MonkeyPatch, workers: tuple[Store, Store], fingerprint: str
) -> None:
    """A prune reads an old article, an edit re-indexes it (new bands, back in the index) and
    commits, then the prune deletes the bands of the text it read and marks the article out
    of the index: its new bands would stay, never pruned, under an article marked as out.

    The edit's entry fingerprint changes (a pass's edit) or not (`update_article` called
    otherwise): on PostgreSQL the edit must then not delete band rows before it holds the
    article, or it deadlocks with the prune, which holds the article and deletes its bands."""
    one, two = workers
    old, new = stories()[:2]
    stored = one.add_article(
        new_article("https://a.example/story", old, signed=True, entry_fingerprint="f1")
    )
    race = Race()
    real_keys = retention_module.stored_keys

    def keys(*args: Any) -> list[int]:
        race.pause()  # the prune has read its rows and is about to delete their bands
        return real_keys(*args)

    edited = new_article("https://a.example/story", new, signed=True, entry_fingerprint=fingerprint)
    monkeypatch.setattr(retention_module, "stored_keys", keys)
    pruned, changed = race.run(
        lambda: one.retention.drop_old_bands(utcnow() + timedelta(days=1), 10),
        lambda: two.update_article(stored.id, edited),
    )
    assert changed.changed
    with one.session() as s:
        dropped = s.scalar(select(ArticleRow.bands_dropped_at).where(ArticleRow.id == stored.id))
        bands = s.scalar(
            select(func.count())
            .select_from(ArticleBandRow)
            .where(ArticleBandRow.article_id == stored.id)
        )
    # either the prune came second (out of the index, no rows) or the edit did (back in it)
    assert (dropped is not None, bands == 0) in [(True, True), (False, False)], (pruned, bands)


# --- 3. a head that becomes a copy while a copy joins it ----------------------------------------


def test_a_lone_article_that_becomes_a_copy_while_a_copy_joins_it_leaves_no_chain(
    monkeypatch: pytest.MonkeyPatch, workers: tuple[Store, Store]
) -> None:
    """R was stored from its feed's text (a story of its own, H is another); C, the same
    text from another site, is being stored (it joins R) while R's page, read at last, shows R
    to be a copy of H (R joins H). Every copy must point at a head: C at H, or R staying a
    head with its copy C. A chain (C → R → H) hides C from H's cluster, and a later copy
    found through C would ask R's cluster, not H's, whether the story was announced."""
    one, two = workers
    full, other = stories()[:2]
    head = one.add_article(
        new_article("https://h.example/story", full, signed=True), MATCH, "v1", ALERTS
    )
    lone = one.add_article(new_article("https://r.example/story", other, signed=True))
    assert lone.duplicate_of is None
    page = new_article("https://r.example/story", full, signed=True)
    copy = new_article("https://c.example/story", other, signed=True)
    race = Race()
    real_find = clusters.find_cluster

    def find(*args: Any, **kwargs: Any) -> Any:
        found = real_find(*args, **kwargs)
        race.pause()  # the page's worker has decided that R joins H
        return found

    monkeypatch.setattr(clusters, "find_cluster", find)
    recovered, stored = race.run(
        lambda: one.recover_page(lone.id, other, page, MATCH, "v1", ALERTS),
        lambda: two.add_article(copy, MATCH, "v1", ALERTS),
    )
    assert recovered.replaced
    with one.session() as s:
        links = dict(s.execute(select(ArticleRow.id, ArticleRow.duplicate_of_id)).tuples().all())
        alerts = s.scalar(select(func.count()).select_from(AlertRow))
    chained = {a: h for a, h in links.items() if h is not None and links[h] is not None}
    assert not chained, f"copies pointing at copies: {chained} ({recovered}, {stored})"
    assert links[head.id] is None
    assert alerts in (1, 2)  # H's; and R's story's if R stayed a story of its own


def test_a_backfill_alert_for_an_article_becoming_a_copy_asks_the_story_it_joins(
    monkeypatch: pytest.MonkeyPatch, workers: tuple[Store, Store]
) -> None:
    """`backfill --alerts` queues an alert for R while R's page, read at last, makes it a copy
    of H, whose story was announced in that channel: the backfill must ask H's cluster, not
    the cluster R headed when it read R (a second alert for H's story)."""
    one, two = workers
    full, other = stories()[:2]
    one.add_article(new_article("https://h.example/story", full, signed=True), MATCH, "v1", ALERTS)
    lone = one.add_article(new_article("https://r.example/story", other, signed=True))
    page = new_article("https://r.example/story", full, signed=True)
    race = Race()
    real_find = clusters.find_cluster

    def find(*args: Any, **kwargs: Any) -> Any:
        found = real_find(*args, **kwargs)
        race.pause()  # the page's worker has decided that R joins H
        return found

    monkeypatch.setattr(clusters, "find_cluster", find)
    recovered, queued = race.run(
        lambda: one.recover_page(lone.id, other, page),
        lambda: two.enqueue_alert(lone.id, "#policy", ["policy"], revive_skipped=True),
    )
    assert recovered.joined
    assert not queued
    with one.session() as s:
        assert s.scalar(select(func.count()).select_from(AlertRow)) == 1


# --- other check-then-act ----------------------------------------------------------------------


def test_two_workers_replacing_one_articles_matches_at_once_both_succeed(
    workers: tuple[Store, Store],
) -> None:
    """Two backfills (or a backfill and an edit) apply rules to one article at once: both
    read its matches, find a topic missing, and insert it; the second insert must not fail."""
    one, two = workers
    stored = one.add_article(new_article("https://a.example/story", stories()[0], signed=True))
    race = Race()
    pause_before(one, race, "INSERT INTO MATCHES")
    first, second = race.run(
        lambda: one.replace_matches(stored.id, MATCH, "v2"),
        lambda: two.replace_matches(stored.id, MATCH, "v2"),
    )
    assert sorted([len(first.added), len(second.added)]) == [0, 1]
    assert [m.topic for m in one.matches_of(stored.id)] == ["policy"]


def test_a_backfill_withdrawing_an_alert_while_a_delivery_claims_it_posts_nothing(
    workers: tuple[Store, Store],
) -> None:
    """A backfill drops the topic of a queued alert (holds it back) while a delivery claims
    alerts: either the delivery has it first (then the backfill leaves it to its owner) or the
    backfill does (then the delivery never sees it); never a claimed alert marked skipped."""
    from newsmon.corpus.claims import new_claim
    from newsmon.corpus.records import AlertStatus

    one, two = workers
    stored = one.add_article(
        new_article("https://a.example/story", stories()[0], signed=True), MATCH, "v1", ALERTS
    )
    race = Race()
    pause_before(one, race, "UPDATE ALERTS")
    change, claimed = race.run(
        lambda: one.replace_matches(stored.id, [], "v2"),
        lambda: two.outbox.claim_alerts(new_claim(timedelta(minutes=5)), 10),
    )
    assert change.withdrawn == 1 and claimed == []
    assert one.count_alerts(AlertStatus.SKIPPED) == 1


def test_a_reply_a_sighting_queued_meanwhile_does_not_fail_the_copy_being_stored(
    workers: tuple[Store, Store], db_url: str
) -> None:
    """A copy stored in one transaction reads which sources have replied, then writes its
    reply; a sighting of another link of the story from the same feed (which takes no story
    lock) may queue that reply in between. The copy's insert failed on the unique key, and the
    copy was lost for the pass (seen on PostgreSQL with two workers)."""
    one, two = workers
    states = one.sync_feeds(
        [FeedSpec("wire-a", "https://a/f", None), FeedSpec("wire-c", "https://c/f", None)]
    )
    fa, fc = states["wire-a"].id, states["wire-c"].id
    head = one.add_article(
        new_article("https://a.ex/1", "same story " * 80, feed_id=fa, signed=True),
        MATCH,
        "v1",
        {"#p": ["policy"]},
    )
    with one.session() as s:
        rows = reply_rows(s, head.id, fc, "https://c.ex/1")  # what the copy's transaction read
        assert [r.source for r in rows] == ["wire-c"]
        assert two.queue_replies(head.id, fc, "https://c.ex/2") == 1  # the sighting, committed
        assert insert_replies(s, db_url.startswith("postgresql"), rows) == 0
    assert one.replies.count_replies(AlertStatus.PENDING) == 1
