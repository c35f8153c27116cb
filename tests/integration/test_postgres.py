"""The production corpus on a real PostgreSQL (NEWSMON_TEST_POSTGRES_URL; .ci/run starts one).

Each test works in a schema of its own, created and dropped here (tests/support/postgres.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from newsmon.corpus import Store
from newsmon.corpus.engine import make_engine
from newsmon.corpus.schema import Base
from newsmon.devsite import SiteServer
from tests.support.articles import new_article
from tests.support.fake_slack import FakeSlack
from tests.support.hold_reason_fill import expected, fill_0023
from tests.support.index_retention import (
    band_rows,
    check_a_page_read_late_still_finds_its_story,
    check_index_retention,
    first_seen,
)
from tests.support.postgres import PG_URL, throwaway_schema
from tests.support.schema_history import (
    assert_0007_drops_leases_and_restores_them,
    assert_0013_0014_add_columns_and_drop_them_going_down,
    assert_0015_adds_digest_content_and_drops_it_going_down,
    assert_adds_a_column,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)"),
]


@pytest.fixture
def pg_url() -> Iterator[str]:
    with throwaway_schema(prefix="corpus") as url:
        yield url


def test_migrations_on_postgres_match_the_models(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            tables = conn.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            ).scalar()
        assert schema != "public" and tables  # the corpus lives in the test's own schema
    finally:
        store.close()
    Store.open(pg_url).close()  # a second start finds the schema current


def test_0007_drops_the_leases_table_and_its_downgrade_rebuilds_it(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_0007_drops_leases_and_restores_them(engine)
    finally:
        engine.dispose()


def test_0013_and_0014_add_their_columns_and_their_downgrades_drop_them(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_0013_0014_add_columns_and_drop_them_going_down(engine)
    finally:
        engine.dispose()


def test_0015_adds_digest_content_and_its_downgrade_drops_it(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_0015_adds_digest_content_and_drops_it_going_down(engine)
    finally:
        engine.dispose()


def test_0019_adds_when_an_unrequested_page_was_given_up_and_its_downgrade_drops_it(
    pg_url: str,
) -> None:
    engine = make_engine(pg_url)
    try:
        assert_adds_a_column(engine, "0019", "articles", "page_unrequested_at")
    finally:
        engine.dispose()


def test_0018_adds_when_an_alert_failed_and_its_downgrade_drops_it(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_adds_a_column(engine, "0018", "alerts", "failed_at")
    finally:
        engine.dispose()


def test_0020_adds_when_a_thread_reply_failed_and_its_downgrade_drops_it(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_adds_a_column(engine, "0020", "alert_replies", "failed_at")
    finally:
        engine.dispose()


def test_0023_adds_why_a_row_was_held_back_and_its_downgrade_drops_it(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        assert_adds_a_column(engine, "0023", "alerts", "hold_reason")
    finally:
        engine.dispose()


def test_0024_adds_indexes_by_feed_and_posting_time_and_its_downgrade_drops_them(
    pg_url: str,
) -> None:
    from tests.support.schema_history import assert_0024_adds_indexes_and_drops_them_going_down

    engine = make_engine(pg_url)
    try:
        assert_0024_adds_indexes_and_drops_them_going_down(engine)
    finally:
        engine.dispose()


def test_0023_fills_the_reason_of_rows_held_back_before_on_postgres(pg_url: str) -> None:
    """0023's fill was run on SQLite only, whose LIKE ignores case and whose types are loose:
    the same rows, in each state, on PostgreSQL."""
    engine = make_engine(pg_url)
    try:
        assert fill_0023(engine) == expected()
    finally:
        engine.dispose()


def test_old_stories_leave_the_near_duplicate_index_on_postgres(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        check_index_retention(store)
    finally:
        store.close()


def test_a_page_read_late_still_finds_its_story_on_postgres(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        check_a_page_read_late_still_finds_its_story(store)
    finally:
        store.close()


def test_two_passes_pruning_at_once_share_the_old_stories(pg_url: str) -> None:
    """Two workers' passes end together: each takes what the other has not locked."""
    from datetime import timedelta

    from newsmon.clock import utcnow
    from newsmon.pipeline import prune_index

    first, second = Store.open(pg_url), Store.open(pg_url)
    try:
        ids = [
            first.add_article(
                new_article(
                    f"https://a.example/{i}",
                    " ".join(f"story{i}word{j}" for j in range(80)),
                    signed=True,
                )
            ).id
            for i in range(60)
        ]
        now = utcnow()
        first_seen(first, ids, now - timedelta(days=40))
        assert band_rows(first) >= 60 * 42
        results: list[int] = []
        barrier = threading.Barrier(2)

        def prune(store: Store) -> None:
            barrier.wait()
            results.append(prune_index(store, 30, now, 0).dropped)

        threads = [threading.Thread(target=prune, args=(s,)) for s in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sum(results) == 60 and len(results) == 2  # each article taken once
        assert band_rows(first) == 0
    finally:
        first.close()
        second.close()


def test_two_workers_storing_one_story_make_one_original(pg_url: str) -> None:
    stores = [Store.open(pg_url) for _ in range(2)]  # separate engines, as two workers would have
    results = []
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        article = new_article(
            f"https://site{i}.example/story",
            title="Same wire story",
            published_at=None,
            content_hash="f" * 64,
        )
        barrier.wait()
        results.append(stores[i % 2].add_article(article, alerts={"#ai-news": ["policy"]}))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        originals = [r for r in results if r.duplicate_of is None]
        assert len(results) == 8 and len(originals) == 1
        assert {r.duplicate_of for r in results if r.duplicate_of} == {originals[0].id}
        assert sum(r.alerts_queued for r in results) == 1
    finally:
        for s in stores:
            s.close()


@pytest.mark.usefixtures("prefect_harness")
def test_monitor_flow_on_postgres(
    pg_url: str, tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.flows.test_monitor_flow import (
        EXPECTED_ALERTS,
        alerts_posted,
        run_monitor,
        site_config,
    )

    monkeypatch.setenv("NEWSMON_DATABASE_URL", pg_url)
    config = site_config(tmp_path, site)
    totals = run_monitor(config)
    assert sorted(alerts_posted(slack)) == sorted(EXPECTED_ALERTS)
    assert totals.new_articles == 11 and totals.duplicates == 1
    again = run_monitor(config)
    assert again.alerts_sent == 0 and len(slack.top_level()) == len(EXPECTED_ALERTS)
    assert not (tmp_path / "corpus.db").exists()  # the environment's database won
