"""Two workers (two engines, as two processes would have: no shared in-process lock) storing
copies of one story at the same moment: one original, one alert, on SQLite and PostgreSQL.

The interleaving is forced, not hoped for: the first worker stops right after deciding which
cluster its copy joins, and goes on only once the second worker has stored its copy (or, when
the corpus makes the second one wait for the first, after a short grace, which then changes
nothing: the second worker still decides after the first has committed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from newsmon import clusters
from newsmon.corpus import Store
from newsmon.corpus.articles import Articles
from newsmon.corpus.records import NewArticle, StoredArticle, StoredMatch
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.dedup import index_keys, minhash_signature
from tests.support.articles import new_article
from tests.support.dedup_set import pieces

# Tests of migrating, of old releases' corpora or of a corpus's first open: no copy of one at head.
pytestmark = pytest.mark.fresh_corpus

# How long the first worker waits for a second one that the corpus keeps waiting (it cannot
# finish before the first commits): the test's verdict does not depend on it.
GRACE = 1.5
MATCH = [StoredMatch("policy", 1.0, [], "snippet")]
ALERTS = {"#policy": ["policy"]}


def story() -> str:
    return "\n".join(next(p for p in pieces() if p.kind == "story" and not p.short).paragraphs)


def first_decides_then_waits(
    monkeypatch: pytest.MonkeyPatch,
    first: Callable[[], StoredArticle],
    second: Callable[[], StoredArticle],
    decision: str = "find_cluster",
) -> tuple[StoredArticle, StoredArticle]:
    """Run `first` and `second` in two threads: `first` stops right after its `decision` (a
    function of `newsmon.clusters`: the cluster it joins, or whether it speaks for it) until
    `second` has stored its article (or has been kept waiting for `GRACE` seconds)."""
    decided, second_entering, second_done = threading.Event(), threading.Event(), threading.Event()
    real_decide, real_lock = getattr(clusters, decision), Articles._lock_story

    def decide(*args: Any, **kwargs: Any) -> Any:
        found = real_decide(*args, **kwargs)
        if threading.current_thread().name == "first":
            decided.set()
            assert second_entering.wait(30), "the second worker never started"
            second_done.wait(GRACE)
        return found

    def lock(self: Articles, *args: Any, **kwargs: Any) -> None:
        if threading.current_thread().name == "second":
            second_entering.set()
        real_lock(self, *args, **kwargs)

    monkeypatch.setattr(clusters, decision, decide)
    monkeypatch.setattr(Articles, "_lock_story", lock)
    results: dict[str, StoredArticle] = {}
    errors: list[BaseException] = []

    def run(name: str, work: Callable[[], StoredArticle]) -> None:
        try:
            if name == "second":
                assert decided.wait(30), "the first worker never decided"
            results[name] = work()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            if name == "second":
                second_done.set()

    threads = [threading.Thread(target=run, args=a, name=a[0]) for a in [("first", first)]]
    threads.append(threading.Thread(target=run, args=("second", second), name="second"))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results["first"], results["second"]


def store(worker: Store, article: NewArticle) -> Callable[[], StoredArticle]:
    return lambda: worker.add_article(article, MATCH, "v1", ALERTS)


def counts(worker: Store) -> tuple[int, int]:
    with worker.session() as s:
        originals = s.scalar(
            select(func.count()).select_from(ArticleRow).where(ArticleRow.duplicate_of_id.is_(None))
        )
        alerts = s.scalar(select(func.count()).select_from(AlertRow))
    return originals or 0, alerts or 0


@pytest.mark.parametrize("copy", ["identical", "near"])
def test_two_workers_storing_one_story_at_once_make_one_original_and_one_alert(
    monkeypatch: pytest.MonkeyPatch, db_url: str, copy: str
) -> None:
    body = story()
    other = body if copy == "identical" else body[: int(len(body) * 0.7)]
    a = new_article("https://one.example/story", body, signed=True, published_at=None)
    b = new_article("https://two.example/story", other, signed=True, published_at=None)
    Store.open(db_url).close()  # migrated before the workers start
    one, two = Store.open(db_url), Store.open(db_url)
    try:
        first, second = first_decides_then_waits(monkeypatch, store(one, a), store(two, b))
        assert sorted(r.duplicate_of is None for r in (first, second)) == [False, True]
        assert counts(one) == (1, 1)
    finally:
        one.close()
        two.close()


def halves_of_one_story() -> tuple[str, str, str]:
    """A story and two copies of it (its first and its last 55 %) that are each a near
    duplicate of it but share no band key, hash or body with each other: storing one never
    waits on a lock of the other."""
    for piece in pieces():
        if piece.kind != "story" or piece.short:
            continue
        full = "\n".join(piece.paragraphs)
        cut = int(len(full) * 0.55)
        head, tail = full[:cut], full[len(full) - cut :]
        signatures = [minhash_signature(t) for t in (full, head, tail)]
        if not all(signatures):
            continue
        keys = [
            set(index_keys("T", t, sig))
            for t, sig in zip((head, tail), signatures[1:], strict=True)
        ]
        if not keys[0] & keys[1]:
            return full, head, tail
    raise AssertionError("no story splits into two halves without a shared band")


def test_two_copies_of_a_silent_story_at_once_give_it_one_voice(
    monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    """The first article of a story matched no topic (a teaser): the first copy that matches
    speaks for the story. Two such copies stored at once by two workers, found through
    different bands of the story, must not both speak (two alerts for one story)."""
    full, head, tail = halves_of_one_story()
    teaser = new_article("https://wire.example/story", full, signed=True, published_at=None)
    b = new_article("https://one.example/story", head, signed=True, published_at=None)
    c = new_article("https://two.example/story", tail, signed=True, published_at=None)
    setup = Store.open(db_url)
    try:
        silent = setup.add_article(teaser)  # no match, no alert
    finally:
        setup.close()
    one, two = Store.open(db_url), Store.open(db_url)
    try:
        first, second = first_decides_then_waits(
            monkeypatch, store(one, b), store(two, c), decision="may_speak"
        )
        assert first.duplicate_of == second.duplicate_of == silent.id
        assert sorted([first.alerts_queued, second.alerts_queued]) == [0, 1]
        assert counts(one) == (1, 1)
    finally:
        one.close()
        two.close()
