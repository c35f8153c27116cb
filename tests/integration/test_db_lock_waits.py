"""A PostgreSQL corpus a table of which another session holds locked (an operator's `psql` left
inside `BEGIN; LOCK TABLE …`, an `ALTER` or `VACUUM FULL` in progress, a backup's exclusive
lock): `newsmon health` in cron, and a pass, waited on that lock with no bound and said
nothing. Each test's locker holds its lock at most `WATCHDOG_SECONDS`, so a wait without a bound
fails the test instead of holding it."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text, update
from typer.testing import CliRunner

from newsmon.cli import EXIT_DATABASE, app
from newsmon.config import load_config
from newsmon.corpus import Store, waits
from newsmon.corpus.engine import make_engine
from newsmon.corpus.records import AlertStatus, FeedSpec
from newsmon.corpus.schema import AlertRow
from newsmon.devsite import serve
from newsmon.pipeline import Context, FeedOutcome, process_feeds
from tests.support.configs import write_config
from tests.support.delivery import queue_alerts
from tests.support.postgres import PG_URL, throwaway_schema
from tests.support.synthetic_site import write_site

WATCHDOG_SECONDS = 8.0


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="pgwait") as url:
        Store.open(url).close()  # the corpus exists, at this code's schema
        yield f"{url}&application_name=pgwait_{uuid.uuid4().hex[:12]}"


class Holder:
    """Another session that runs a statement in a transaction it keeps open (idle in
    transaction, as `psql` left so) from `take()` until `release()` or `WATCHDOG_SECONDS`."""

    def __init__(self, url: str, statement: str) -> None:
        self.engine = create_engine(url.replace("application_name=", "application_name=locker_"))
        self.statement = statement
        self.done, self.locked = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        with self.engine.connect() as conn, conn.begin():
            conn.execute(text(self.statement))
            self.locked.set()
            self.done.wait(WATCHDOG_SECONDS)

    def take(self) -> None:
        if not self.thread.is_alive() and not self.locked.is_set():
            self.thread.start()
        assert self.locked.wait(5), "the locker could not take its lock"

    def release(self) -> None:
        self.done.set()
        if self.thread.is_alive():
            self.thread.join(10)
        self.engine.dispose()


@contextmanager
def held(url: str, statement: str) -> Iterator[None]:
    holder = Holder(url, statement)
    try:
        holder.take()
        yield
    finally:
        holder.release()


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


def test_a_pass_on_a_locked_feeds_table_leaves_its_feeds_in_one_line_each(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another session takes the `feeds` table (EXCLUSIVE: reads go on, no row may be locked or
    written) while the pass reads its first feed: before, the pass waited on it until its flow
    timed out. Now the first feed's record and the second feed's claim give up after the bound,
    each in one line naming the holder, and the batch returns both outcomes."""
    # the pass meets the lock several times (its entry, the feed's record, the next claim)
    monkeypatch.setattr(waits, "LOCK_SECONDS", 0.3)
    site = write_site(tmp_path / "site", feeds=2, items=1)
    with serve(site.root) as server:
        cfg = load_config(
            write_config(
                tmp_path,
                feeds=site.feed_list(),
                base=server.base,
                database_url=pg_url,
                fetch={"max_connections": 1},  # one feed claimed at a time
            )
        )
        ctx = Context.open(cfg)
        holder = Holder(pg_url, "LOCK TABLE feeds IN EXCLUSIVE MODE")
        answer = server.respond

        def respond(raw_path: str) -> tuple[int, dict[str, str], bytes]:
            if raw_path.startswith("/feeds/"):
                holder.take()  # held until the pass is over
            return answer(raw_path)

        server.respond = respond  # type: ignore[method-assign]

        async def one_pass() -> list[FeedOutcome]:
            async with ctx.fetching() as fetcher:
                return await process_feeds(ctx, fetcher, cfg.feeds)

        started = time.monotonic()
        try:
            outcomes = asyncio.run(one_pass())
            elapsed = time.monotonic() - started
        finally:
            holder.release()
        try:
            health = {h.name: h for h in ctx.store.feed_health()}
        finally:
            ctx.close()
    assert elapsed < WATCHDOG_SECONDS - 3, f"the pass waited {elapsed:.1f} s for the lock"
    names = [name for name, _, _ in site.feed_list()]
    assert [o.feed for o in outcomes] == names
    for outcome in outcomes:
        assert not outcome.ok and "database busy" in (outcome.error or ""), outcome
        assert "ExclusiveLock on feeds" in (outcome.error or ""), outcome
    assert outcomes[1].entries == 0  # never fetched: left due for the next pass
    assert health[names[1]].consecutive_failures == 0
    said = [r.getMessage() for r in caplog.records]
    assert any(names[1] in line and "database busy" in line for line in said)
    assert not [line for line in said if "[SQL:" in line or "\n" in line]


def test_a_lock_timeout_the_operator_set_is_kept(pg_url: str) -> None:
    """`-c lock_timeout=` in the URL's options (or PGOPTIONS, or the role's settings) is the
    operator's; only a session without one gets newsmon's."""
    own = pg_url.replace("options=-c", "options=-clock_timeout%3D7s%20-c")
    for url, expected in ((pg_url, f"{waits.LOCK_SECONDS:.0f}s"), (own, "7s")):
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW lock_timeout").scalar_one() == expected
                assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "0"
        finally:
            engine.dispose()
    engine = make_engine(pg_url, read_only=True)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW lock_timeout").scalar_one() == "15s"
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "5min"
    finally:
        engine.dispose()


def test_a_feed_whose_entries_meet_a_held_lock_waits_it_out_once_not_per_entry(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another session keeps `articles` locked while a pass reads a feed of 8 new entries: each
    entry's write waited the whole bound for it in turn (with the 30 s bound, 4 minutes of a
    batch's 10 for one feed; 20 entries timed the batch out). The first entry the lock stops
    leaves the others for the next pass, unstored, without waiting again."""
    monkeypatch.setattr(waits, "LOCK_SECONDS", 0.3)
    site = write_site(tmp_path / "site", feeds=1, items=8)
    with serve(site.root) as server:
        cfg = load_config(
            write_config(tmp_path, feeds=site.feed_list(), base=server.base, database_url=pg_url)
        )
        ctx = Context.open(cfg)
        holder = Holder(pg_url, "LOCK TABLE articles IN EXCLUSIVE MODE")
        answer = server.respond

        def respond(raw_path: str) -> tuple[int, dict[str, str], bytes]:
            if raw_path.startswith("/feeds/"):
                holder.take()  # held until the pass is over
            return answer(raw_path)

        server.respond = respond  # type: ignore[method-assign]

        async def one_pass() -> list[FeedOutcome]:
            async with ctx.fetching() as fetcher:
                return await process_feeds(ctx, fetcher, cfg.feeds)

        try:
            [outcome] = asyncio.run(one_pass())
        finally:
            holder.release()
            ctx.close()
    waited = [r.getMessage() for r in caplog.records if "database busy" in r.getMessage()]
    assert len(waited) <= 3, "\n".join(waited)
    # nothing lost: every entry is either counted failed or left for the next pass
    assert outcome.entries_failed + outcome.entries_late == 8, outcome


def test_alerts_retry_on_a_locked_alerts_table_ends_in_one_line(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newsmon alerts retry --failed` (an operator after an outage, a script) while another
    session keeps `alerts` locked (a backup, `psql`): it waited for ever, silently."""
    monkeypatch.setattr(waits, "LOCK_SECONDS", 0.3)
    monkeypatch.setenv("NEWSMON_DATABASE_URL", pg_url)
    config = write_config(tmp_path, feeds=[("news", "http://127.0.0.1:9/feed")])
    store = Store.open(pg_url)
    try:
        queue_alerts(store, {"#ai-policy": 1})
        with store.session() as s:
            s.execute(update(AlertRow).values(status=AlertStatus.FAILED))
    finally:
        store.close()
    with held(pg_url, "LOCK TABLE alerts IN EXCLUSIVE MODE"):
        started = time.monotonic()
        result = CliRunner().invoke(app, ["alerts", "retry", "--failed", "--config", str(config)])
        elapsed = time.monotonic() - started
    assert elapsed < WATCHDOG_SECONDS - 3, f"alerts retry waited {elapsed:.1f} s for the lock"
    assert result.exit_code == EXIT_DATABASE, result.output
    [line] = result.output.strip().splitlines()
    assert "database busy" in line and "ExclusiveLock on alerts" in line, line
