"""Two workers (two engines, as two processes would have: no shared in-process lock) writing
the same corpus rows at the same moment, on SQLite and PostgreSQL: a sighting recorded by a
pass and a backfill at once, an edit during a prune of the index, a page read at last that makes
a lone article a copy while another worker stores a copy of that article.

The interleaving is forced: the first worker stops at a named point (after its reads, before
its writes) and goes on once the second worker has finished (or, when the corpus makes the
second one wait for the first, after `GRACE`, which then changes nothing: the second worker
still acts after the first has committed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, select

from newsmon.corpus import Store
from newsmon.corpus.records import NewSighting
from newsmon.corpus.schema import SightingRow
from tests.support.articles import new_article
from tests.support.dedup_set import pieces
from tests.support.postgres import PG_URL, throwaway_schema

GRACE = 1.5
A = TypeVar("A")
B = TypeVar("B")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'corpus.db'}"
        return
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="ccorpus") as url:
        yield url


@pytest.fixture
def workers(database_url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores on one corpus, migrated before either starts."""
    Store.open(database_url).close()
    one, two = Store.open(database_url), Store.open(database_url)
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
