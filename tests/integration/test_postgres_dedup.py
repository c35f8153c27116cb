"""Near-duplicate detection on a real PostgreSQL with two workers (two engines, no shared lock).

Needs NEWSMON_TEST_POSTGRES_URL (`.ci/run` starts a server); works in a schema of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from newsmon.corpus import Store
from newsmon.corpus.records import DuplicateReason, NewArticle
from tests.support.articles import new_article
from tests.support.dedup_set import pieces
from tests.support.postgres import PG_URL, throwaway_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="NEWSMON_TEST_POSTGRES_URL is not set"),
]


@pytest.fixture
def pg_url() -> Iterator[str]:
    with throwaway_schema(prefix="dedup") as url:
        yield url


def copy(url: str, body: str) -> NewArticle:
    return new_article(url, body, signed=True, title="t", published_at=None)


def race(workers: list[Store], articles: list[NewArticle]) -> list[int | None]:
    """Each worker stores its article at the same moment; returns their duplicate_of."""
    barrier = threading.Barrier(len(workers))
    results: list[int | None] = [None] * len(workers)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = workers[i].add_article(articles[i]).duplicate_of

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_workers_storing_copies_of_one_story_make_one_original(pg_url: str) -> None:
    workers = [Store.open(pg_url), Store.open(pg_url)]
    stories = [p for p in pieces() if p.kind == "story"]
    try:
        for p in stories:
            full = "\n".join(p.paragraphs)
            bodies = [full, full[: int(len(full) * 0.7)]]  # different text: no shared hash lock
            articles = [copy(f"https://w{i}.example/{p.id}", b) for i, b in enumerate(bodies)]
            if p.short:  # one summary under two headlines: only the body's bands are shared
                articles = [
                    new_article(
                        f"https://w{i}.example/{p.id}",
                        f"{title}\n{p.summary}",
                        signed=True,
                        title=title,
                        published_at=None,
                    )
                    for i, title in enumerate((p.title, p.alt_title))
                ]
            results = race(workers, articles)
            assert sorted(r is None for r in results) == [False, True], (p.id, results)
        with workers[0].engine.connect() as conn:
            heads = conn.execute(
                text("SELECT count(*) FROM articles WHERE duplicate_of_id IS NULL")
            ).scalar()
        assert heads == len(stories)
    finally:
        for w in workers:
            w.close()


def test_migrations_and_band_keys_on_postgres(pg_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from newsmon.corpus.schema import Base

    store = Store.open(pg_url)
    try:
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        body = "\n".join(next(p for p in pieces() if p.lang == "ko" and not p.short).paragraphs)
        first = store.add_article(copy("https://a.example/1", body))
        near = store.add_article(copy("https://b.example/2", body[: int(len(body) * 0.6)]))
        assert near.duplicate_of == first.id and near.duplicate_reason is DuplicateReason.NEAR
        view = store.cluster(near.id)
        assert view is not None and [m.id for m in view.members] == [first.id, near.id]
    finally:
        store.close()
