"""A PostgreSQL corpus a table of which another session holds locked (an operator's `psql` left
inside `BEGIN; LOCK TABLE …`, an `ALTER` or `VACUUM FULL` in progress, a backup's exclusive
lock): `newsmon health` in cron, and a pass, waited on that lock with no bound and said
nothing. Each test's locker holds its lock at most `WATCHDOG_SECONDS`, so a wait without a bound
fails the test instead of holding it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from newsmon.cli import EXIT_DATABASE, app
from newsmon.corpus import Store, waits
from newsmon.corpus.records import FeedSpec
from tests.support.configs import write_config
from tests.support.postgres import PG_URL, throwaway_schema

WATCHDOG_SECONDS = 8.0


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="pgwait") as url:
        Store.open(url).close()  # the corpus exists, at this code's schema
        yield f"{url}&application_name=pgwait_{uuid.uuid4().hex[:12]}"


@contextmanager
def held(url: str, statement: str) -> Iterator[None]:
    """Another session runs `statement` in a transaction it keeps open (idle in transaction,
    as `psql` left so) until the block ends or `WATCHDOG_SECONDS` pass."""
    locker = create_engine(url.replace("application_name=", "application_name=locker_"))
    done = threading.Event()
    locked = threading.Event()

    def hold() -> None:
        with locker.connect() as conn, conn.begin():
            conn.execute(text(statement))
            locked.set()
            done.wait(WATCHDOG_SECONDS)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        assert locked.wait(5), "the locker could not take its lock"
        yield
    finally:
        done.set()
        thread.join(10)
        locker.dispose()


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waits, "LOCK_SECONDS", 1.0, raising=False)  # 120 s in production
    monkeypatch.setattr(waits, "READ_LOCK_SECONDS", 1.0, raising=False)  # 15 s


def test_health_on_a_table_locked_by_another_session_says_busy_in_one_line(
    tmp_path: Path, pg_url: str, short_waits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSMON_DATABASE_URL", pg_url)
    config = write_config(tmp_path, feeds=[("news", "http://127.0.0.1:9/feed")])
    with held(pg_url, "LOCK TABLE runs IN ACCESS EXCLUSIVE MODE"):
        started = time.monotonic()
        result = CliRunner().invoke(app, ["health", "--json", "--config", str(config)])
        elapsed = time.monotonic() - started
    assert elapsed < WATCHDOG_SECONDS - 3, f"health waited {elapsed:.1f} s for the lock"
    assert result.exit_code == EXIT_DATABASE, result.output
    [line] = result.output.strip().splitlines()
    assert "busy" in line and "lock" in line, line
    # who holds it, on what: the operator can find the session to end
    assert "runs" in line and "locker_pgwait" in line and "AccessExclusiveLock" in line, line
    assert ":newsmon@" not in result.output  # no password


def test_a_feed_write_held_by_a_locked_table_fails_the_feed_not_the_pass(
    pg_url: str, short_waits: None
) -> None:
    """A pass recording a feed while another session holds the `feeds` table: the write gives
    up after the lock bound, and says on what it waited and who holds it."""
    store = Store.open(pg_url)
    try:
        feed = store.sync_feeds([FeedSpec("news", "http://127.0.0.1:9/feed", None)])["news"]
        with held(pg_url, "LOCK TABLE feeds IN EXCLUSIVE MODE"):
            started = time.monotonic()
            with pytest.raises(waits.CorpusBusy) as busy:
                store.record_feed_failure(feed.id, "DNS lookup failed")
            elapsed = time.monotonic() - started
    finally:
        store.close()
    assert elapsed < WATCHDOG_SECONDS - 3, f"the write waited {elapsed:.1f} s for the lock"
    assert busy.value.wait is waits.Wait.LOCK
    assert "UPDATE on feeds" in str(busy.value) and "ExclusiveLock" in str(busy.value), busy.value
