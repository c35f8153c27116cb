"""The corpus's database failing under a pass, for real: PostgreSQL connections terminated
(`pg_terminate_backend`, as a failover or pgbouncer does) while a pass uses them, and a SQLite
file whose write lock another connection holds."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

import newsmon.corpus.engine
from newsmon.clock import utcnow
from newsmon.config import FeedConfig, load_config
from newsmon.corpus import Store
from newsmon.corpus.engine import ANNOUNCE_LOCK_KEY, ANNOUNCE_LOCK_SPACE
from newsmon.corpus.records import AlertStatus, FeedSpec
from newsmon.devsite import serve
from newsmon.pipeline import Context, FeedOutcome, deliver, process_feeds, settle_batches
from newsmon.pipeline.claims import new_owner
from tests.support.configs import write_config
from tests.support.deadlocks import WAITING_FOR_LOCK, deadlocked
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import INTERNAL_ERROR, FakeSlack, Scripted
from tests.support.postgres import PG_URL, throwaway_schema
from tests.support.synthetic_site import write_site


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="dbfail") as url:
        # the test's own connections, told apart from other tests' on the same server
        yield f"{url}&application_name=dbfail_{uuid.uuid4().hex[:12]}"


@contextmanager
def killed_while_waiting(
    url: str, table: str, mode: str = "UPDATE"
) -> Iterator[Callable[[], None]]:
    """Lock every row of `table` (`FOR {mode}`) once armed, until the first connection that waits for one of them (a
    write of the pass, in its transaction) has been terminated, as a failover ends it."""
    admin_url = os.environ.get("NEWSMON_TEST_POSTGRES_ADMIN_URL") or PG_URL
    app = make_url(url).query["application_name"]
    locker, admin = create_engine(url), create_engine(admin_url)
    armed, locked = threading.Event(), threading.Event()
    killed: list[int] = []

    def watch() -> None:
        with locker.connect() as conn, conn.begin():
            armed.wait(10)
            locker_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            conn.execute(text(f"SELECT id FROM {table} FOR {mode}")).all()
            locked.set()
            deadline = time.monotonic() + 10
            while not killed and time.monotonic() < deadline:
                with admin.begin() as a:
                    waiting = (
                        a.execute(WAITING_FOR_LOCK, {"locker": locker_pid, "app": app})
                        .scalars()
                        .all()
                    )
                    for pid in waiting:
                        if a.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar():
                            killed.append(pid)
                time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()

    def arm() -> None:
        armed.set()
        locked.wait(10)

    try:
        yield arm
    finally:
        armed.set()
        thread.join(15)
        locker.dispose()
        admin.dispose()
    assert killed, "no write of the pass waited for the lock: nothing was terminated"


@pytest.mark.postgres
def test_a_connection_dropped_while_recording_a_post_loses_no_alert_and_repeats_none(
    tmp_path: Path, pg_url: str, fake: FakeSlack
) -> None:
    ctx = context(config_path(tmp_path, pg_url), fake)
    try:
        ids = queue_alerts(ctx.store, {"#a": 3, "#b": 3})
        with killed_while_waiting(pg_url, "alerts") as arm:
            posting = fake._post

            def post(body: dict[str, object]) -> Scripted:
                arm()  # the first post's record waits for the rows, and is terminated
                return posting(body)

            fake._post = post  # type: ignore[method-assign]
            outcome = deliver(ctx)
        posted = Counter(fake.metadata_ids())
        assert sorted(posted) == sorted(str(i) for i in ids)
        assert set(posted.values()) == {1}
        assert outcome.sent == len(ids)
        assert ctx.store.count_alerts(AlertStatus.SENT) == len(ids)
    finally:
        ctx.close()


@pytest.mark.postgres
def test_a_connection_dropped_while_recording_a_read_feed_does_not_fail_the_feed(
    tmp_path: Path, pg_url: str
) -> None:
    site = write_site(tmp_path / "site", feeds=1, items=2)
    with serve(site.root) as server:
        cfg = load_config(
            write_config(tmp_path, feeds=site.feed_list(), base=server.base, database_url=pg_url)
        )
        ctx = Context.open(cfg)
        try:
            # the feed's row is locked once the pass has claimed and fetched it (its articles,
            # whose key checks share the row, are stored meanwhile): the pass's write of the
            # read feed waits for the row, and its connection is terminated there
            with killed_while_waiting(pg_url, "feeds", "NO KEY UPDATE") as arm:
                answer = server.respond

                def respond(raw_path: str) -> tuple[int, dict[str, str], bytes]:
                    if raw_path.startswith("/feeds/"):
                        arm()
                    return answer(raw_path)

                server.respond = respond  # type: ignore[method-assign]

                async def one_pass() -> list[FeedOutcome]:
                    async with ctx.fetching() as fetcher:
                        return await process_feeds(ctx, fetcher, cfg.feeds)

                [outcome] = asyncio.run(one_pass())
            assert outcome.ok, outcome.error
            assert outcome.new_articles == 2
            [health] = ctx.store.feed_health()
            assert health.consecutive_failures == 0 and health.last_success_at is not None
        finally:
            ctx.close()


@pytest.mark.postgres
@pytest.mark.parametrize("by", ["owner", "flow_run"])
def test_a_connection_dropped_while_handing_back_a_passs_claims_still_frees_its_feeds(
    pg_url: str, by: str
) -> None:
    """The pass is over (timed out, cancelled, its process killed) and its feeds' claims are
    handed back (`release_owner`, `release_flow_run`) when the database drops that connection:
    the claims stayed held for their lease (5 min), and a pass run at once (`newsmon run
    --force`, the natural reaction) skipped those feeds as taken, unread. Now the hand-back runs
    once more on a fresh connection."""
    store = Store.open(pg_url)
    try:
        flow_run = str(uuid.uuid4())
        owner = new_owner(flow_run)
        states = store.sync_feeds(
            [FeedSpec(f"f{i}", f"https://example.org/{i}", "en") for i in (1, 2)]
        )
        started = store.feeds._db.now()
        claimed = store.feeds.claim_feeds(
            [s.id for s in states.values()], owner, pass_started=started, lease=timedelta(minutes=5)
        )
        assert len(claimed) == 2 and len(store.feeds.claim_holders()) == 2
        with killed_while_waiting(pg_url, "feeds") as arm:
            arm()  # the hand-back waits for the rows, and its connection is terminated there
            if by == "owner":
                freed = store.feeds.release_owner(owner)
            else:
                freed = store.feeds.release_flow_run(flow_run)
        assert freed == 2
        assert store.feeds.claim_holders() == {}
    finally:
        store.close()


@pytest.mark.postgres
def test_a_connection_dropped_while_marking_a_killed_run_crashed_still_marks_it(
    pg_url: str,
) -> None:
    """Prefect's hook for a flow run whose process died marks its row crashed
    (`crash_flow_run`), then hands its feeds back: one dropped connection there skipped both,
    the run shown `running` (`newsmon health` silent) until a later pass asked Prefect, and
    its feeds held for their lease. Now the mark runs once more on a fresh connection."""
    store = Store.open(pg_url)
    try:
        flow_run = str(uuid.uuid4())
        run_id = store.runs.start_run(
            "monitor", utcnow(), abandon_after=timedelta(hours=1), flow_run_id=flow_run
        )
        with killed_while_waiting(pg_url, "runs") as arm:
            arm()  # the mark waits for the row, and its connection is terminated there
            marked = store.runs.crash_flow_run(flow_run, "the process was killed")
        assert marked == [run_id]
        assert store.runs.running_flow_runs() == []
    finally:
        store.close()


@pytest.mark.postgres
def test_a_deadlock_while_recording_a_post_records_it_in_the_same_pass(
    tmp_path: Path, pg_url: str, fake: FakeSlack
) -> None:
    """The record of a post Slack accepted is the victim of a deadlock (`40P01`, another
    transaction holding its row and waiting for a lock the record holds): delivery stopped
    for the pass with a line, the alert left for the next pass to look up in the channel's
    history. A transaction PostgreSQL aborts for a deadlock or a serialization failure changed
    nothing: it is run again, and the post recorded now."""
    ctx = context(config_path(tmp_path, pg_url), fake)
    try:
        ids = queue_alerts(ctx.store, {"#a": 2})
        lock = f"SELECT pg_advisory_xact_lock({ANNOUNCE_LOCK_SPACE}, {ANNOUNCE_LOCK_KEY})"
        with deadlocked(pg_url, "alerts", lock) as arm:
            posting = fake._post

            def post(body: dict[str, object]) -> Scripted:
                arm()  # the first post's record waits for its row: the cycle closes there
                return posting(body)

            fake._post = post  # type: ignore[method-assign]
            outcome = deliver(ctx)
        assert outcome.errors == [] and outcome.sent == len(ids)
        posted = Counter(fake.metadata_ids())
        assert sorted(posted) == sorted(str(i) for i in ids) and set(posted.values()) == {1}
        assert ctx.store.count_alerts(AlertStatus.SENT) == len(ids)
    finally:
        ctx.close()


def test_a_sqlite_corpus_locked_by_another_process_fails_the_feeds_not_their_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds SQLite's write lock past the busy timeout (a VACUUM, a long
    `newsmon` command): the feeds whose writes it refuses fail with that line, and the batch
    returns every feed's outcome instead of raising (a batch that raised lost them all, and was
    recorded as crashed feed by feed); the log says so in lines without the SQL and its values."""
    monkeypatch.setattr(newsmon.corpus.engine, "SQLITE_BUSY_SECONDS", 0.1)
    db = tmp_path / "corpus.db"
    site = write_site(tmp_path / "site", feeds=2, items=1, feed_delay=0.3)
    with serve(site.root) as server:
        cfg = load_config(
            write_config(
                tmp_path, feeds=site.feed_list(), base=server.base, database_url=f"sqlite:///{db}"
            )
        )
        ctx = Context.open(cfg)
        locker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        answer, held = server.respond, threading.Lock()

        def respond(raw_path: str) -> tuple[int, dict[str, str], bytes]:
            with held:  # both feeds are claimed by now (each answers after 0.3 s)
                if raw_path.startswith("/feeds/") and not locker.in_transaction:
                    locker.execute("BEGIN IMMEDIATE")  # held until the pass is over
            return answer(raw_path)

        server.respond = respond  # type: ignore[method-assign]

        async def one_pass() -> list[FeedOutcome]:
            async with ctx.fetching() as fetcher:
                return await process_feeds(ctx, fetcher, cfg.feeds)

        try:
            outcomes = asyncio.run(one_pass())
        finally:
            locker.close()
            ctx.close()
    assert [o.feed for o in outcomes] == [name for name, _, _ in site.feed_list()]
    for outcome in outcomes:
        assert not outcome.ok and "database is locked" in (outcome.error or ""), outcome
    said = [r.getMessage() for r in caplog.records]
    assert any("database is locked" in line for line in said)
    assert not [line for line in said if "[SQL:" in line or "\n" in line]


def test_a_claim_refused_by_a_locked_sqlite_corpus_leaves_its_feed_not_the_batch_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process takes SQLite's write lock while the pass reads its first feed and holds
    it past the busy timeout: the second feed's claim is refused. That feed is reported in one
    line and left for the next pass (not fetched, no failure counted); the batch returns both
    outcomes instead of raising (Prefect retried the whole batch, every outcome lost)."""
    monkeypatch.setattr(newsmon.corpus.engine, "SQLITE_BUSY_SECONDS", 0.1)
    db = tmp_path / "corpus.db"
    site = write_site(tmp_path / "site", feeds=2, items=1)
    with serve(site.root) as server:
        cfg = load_config(
            write_config(
                tmp_path,
                feeds=site.feed_list(),
                base=server.base,
                database_url=f"sqlite:///{db}",
                fetch={"max_connections": 1},  # one feed claimed at a time
            )
        )
        ctx = Context.open(cfg)
        locker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        answer = server.respond

        def respond(raw_path: str) -> tuple[int, dict[str, str], bytes]:
            if raw_path.startswith("/feeds/") and not locker.in_transaction:
                locker.execute("BEGIN IMMEDIATE")  # held until the pass is over
            return answer(raw_path)

        server.respond = respond  # type: ignore[method-assign]

        async def one_pass() -> list[FeedOutcome]:
            async with ctx.fetching() as fetcher:
                return await process_feeds(ctx, fetcher, cfg.feeds)

        try:
            outcomes = asyncio.run(one_pass())
        finally:
            locker.close()
        try:
            health = {h.name: h for h in ctx.store.feed_health()}
            holders = ctx.store.feeds.claim_holders()
        finally:
            ctx.close()
    names = [name for name, _, _ in site.feed_list()]
    assert [o.feed for o in outcomes] == names
    first, second = outcomes
    assert not first.ok and "database is locked" in (first.error or ""), first
    assert not second.ok and "database is locked" in (second.error or ""), second
    assert second.entries == 0 and second.bytes_received == 0  # never fetched
    # left for the next pass: not counted as a failure of the feed, and claimed by nobody
    assert health[names[1]].consecutive_failures == 0
    assert health[names[1]].last_checked_at is None
    assert names[1] not in holders
    said = [r.getMessage() for r in caplog.records]
    assert any(names[1] in line and "database is locked" in line for line in said)
    assert not [line for line in said if "[SQL:" in line or "\n" in line]


def test_a_post_whose_record_a_locked_sqlite_corpus_refuses_stops_delivery_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSlack
) -> None:
    """Another process takes SQLite's write lock while Slack takes the first post, and holds it
    past the busy timeout: recording that post is refused. Delivery stops for this pass with
    one line instead of raising, the post is given back flagged as maybe posted, and the next
    pass finds it in the channel's history: every alert posted once, none lost."""
    monkeypatch.setattr(newsmon.corpus.engine, "SQLITE_BUSY_SECONDS", 0.1)
    db = tmp_path / "corpus.db"
    ctx = context(config_path(tmp_path, f"sqlite:///{db}"), fake)
    locker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)

    class Unlock(logging.Handler):
        """The other process lets go once delivery has said it stops (not before)."""

        def emit(self, record: logging.LogRecord) -> None:
            if locker.in_transaction and record.levelno >= logging.WARNING:
                locker.execute("COMMIT")

    unlock = Unlock()
    logging.getLogger("newsmon.pipeline.delivery").addHandler(unlock)
    try:
        ids = queue_alerts(ctx.store, {"#a": 2, "#b": 2})
        posting = fake._post

        def post(body: dict[str, object]) -> Scripted:
            if not locker.in_transaction and not fake.metadata_ids():
                locker.execute("BEGIN IMMEDIATE")
            return posting(body)

        fake._post = post  # type: ignore[method-assign]
        first = deliver(ctx)
        assert first.sent == 0 and len(fake.metadata_ids()) == 1
        [line] = [e for e in first.errors if "database is locked" in e]
        assert "\n" not in line and "[SQL:" not in line
        assert ctx.store.count_alerts(AlertStatus.SENDING) == 0  # all given back
        second = deliver(ctx)
        posted = Counter(fake.metadata_ids())
        assert sorted(posted) == sorted(str(i) for i in ids)
        assert set(posted.values()) == {1}, posted
        assert (second.sent, second.recovered) == (len(ids), 1)  # the first found posted
        assert ctx.store.count_alerts(AlertStatus.SENT) == len(ids)
    finally:
        logging.getLogger("newsmon.pipeline.delivery").removeHandler(unlock)
        locker.close()
        ctx.close()


def test_a_claim_of_alerts_a_locked_sqlite_corpus_refuses_is_one_line_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSlack
) -> None:
    """Another process holds SQLite's write lock past the busy timeout when delivery claims:
    nothing is posted, delivery says so in one line, and the alerts wait for the next pass."""
    monkeypatch.setattr(newsmon.corpus.engine, "SQLITE_BUSY_SECONDS", 0.1)
    db = tmp_path / "corpus.db"
    ctx = context(config_path(tmp_path, f"sqlite:///{db}"), fake)
    locker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    try:
        ids = queue_alerts(ctx.store, {"#a": 2})
        locker.execute("BEGIN IMMEDIATE")
        refused = deliver(ctx)
        locker.execute("COMMIT")
        assert refused.sent == 0 and fake.metadata_ids() == []
        [line] = [e for e in refused.errors if "database is locked" in e]
        assert "\n" not in line and "[SQL:" not in line
        assert deliver(ctx).sent == len(ids)
    finally:
        locker.close()
        ctx.close()


def test_a_post_slack_may_have_taken_whose_failure_is_not_recorded_is_not_posted_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeSlack
) -> None:
    """Slack took the first post but answered `internal_error` (it may have posted), and the
    record of that failure is refused (SQLite locked past its busy timeout): the alert was
    given back unflagged and the next pass posted it again, with no lookup first."""
    monkeypatch.setattr(newsmon.corpus.engine, "SQLITE_BUSY_SECONDS", 0.1)
    db = tmp_path / "corpus.db"
    ctx = context(config_path(tmp_path, f"sqlite:///{db}"), fake)
    locker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)

    class Unlock(logging.Handler):
        """The other process lets go once delivery has said it stops (not before)."""

        def emit(self, record: logging.LogRecord) -> None:
            if locker.in_transaction and record.levelno >= logging.WARNING:
                locker.execute("COMMIT")

    unlock = Unlock()
    logging.getLogger("newsmon.pipeline.delivery").addHandler(unlock)
    try:
        ids = queue_alerts(ctx.store, {"#a": 1, "#b": 1})
        posting = fake._post

        def post(body: dict[str, object]) -> Scripted:
            answer = posting(body)
            if len(fake.metadata_ids()) == 1 and not locker.in_transaction:
                locker.execute("BEGIN IMMEDIATE")
                return INTERNAL_ERROR  # posted, but Slack says it failed
            return answer

        fake._post = post  # type: ignore[method-assign]
        first = deliver(ctx)
        assert first.sent == 0 and any("database is locked" in e for e in first.errors)
        deliver(ctx)
        posted = Counter(fake.metadata_ids())
        assert sorted(posted) == sorted(str(i) for i in ids)
        assert set(posted.values()) == {1}, posted
        assert ctx.store.count_alerts(AlertStatus.SENT) == len(ids)
    finally:
        logging.getLogger("newsmon.pipeline.delivery").removeHandler(unlock)
        locker.close()
        ctx.close()


def test_feeds_a_locked_sqlite_corpus_refuses_to_record_are_left_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds SQLite's write lock past the busy timeout as a pass starts with
    feeds new to the corpus (a fresh corpus, a feed just added): recording them, before any
    claim, was refused and the batch raised (Prefect retried it, then recorded each feed as an
    "internal error", or the pass crashed with a traceback when the lock was still held). Now
    each feed says so in one line, unread and not counted as failing, and the next pass reads
    them."""
    monkeypatch.setattr(newsmon.corpus.engine, "SQLITE_BUSY_SECONDS", 0.1)
    db = tmp_path / "corpus.db"
    site = write_site(tmp_path / "site", feeds=2, items=1)
    with serve(site.root) as server:
        cfg = load_config(
            write_config(
                tmp_path, feeds=site.feed_list(), base=server.base, database_url=f"sqlite:///{db}"
            )
        )
        ctx = Context.open(cfg)
        locker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)

        async def one_pass() -> list[FeedOutcome]:
            async with ctx.fetching() as fetcher:
                return await process_feeds(ctx, fetcher, cfg.feeds)

        try:
            locker.execute("BEGIN IMMEDIATE")
            refused = asyncio.run(one_pass())
            locker.execute("COMMIT")
            health = ctx.store.feed_health()
            later = asyncio.run(one_pass())
        finally:
            locker.close()
            ctx.close()
    names = [name for name, _, _ in site.feed_list()]
    assert [o.feed for o in refused] == names
    for outcome in refused:
        assert not outcome.ok and "database is locked" in (outcome.error or ""), outcome
        assert outcome.bytes_received == 0  # never fetched
    assert all(h.consecutive_failures == 0 for h in health)
    assert [(o.feed, o.ok) for o in later] == [(n, True) for n in names]
    assert all(o.bytes_received > 0 for o in later)  # read this time
    said = [r.getMessage() for r in caplog.records]
    assert any("database is locked" in line for line in said)
    assert not [line for line in said if "[SQL:" in line or "\n" in line]


def test_a_timed_out_batch_a_locked_sqlite_corpus_refuses_to_record_loses_no_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch timed out (or crashed), and recording its feeds as failed is refused: another
    process holds SQLite's write lock past the busy timeout. That raised out of the pass's
    settling, so the pass crashed and every other batch's outcome was lost with it; now the
    batch's feeds are failed with their line all the same, and the log says it was not kept."""
    monkeypatch.setattr(newsmon.corpus.engine, "SQLITE_BUSY_SECONDS", 0.1)
    db = tmp_path / "corpus.db"
    feeds = [FeedConfig(name=n, url=f"https://{n}.example/rss") for n in ("read", "late")]
    ctx = Context.open(
        load_config(write_config(tmp_path, feeds=[], database_url=f"sqlite:///{db}"))
    )
    ctx.store.sync_feeds([FeedSpec(f.name, f.url, None) for f in feeds])
    locker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    try:
        locker.execute("BEGIN IMMEDIATE")
        read = [FeedOutcome("read")]
        outcomes = settle_batches(ctx, [feeds[:1], feeds[1:]], [read, TimeoutError("batch")])
        locker.execute("COMMIT")
    finally:
        locker.close()
        ctx.close()
    assert [(o.feed, o.ok) for o in outcomes] == [("read", True), ("late", False)]
    assert "TimeoutError" in (outcomes[1].error or "")
    said = [r.getMessage() for r in caplog.records]
    assert any("late" in line and "database is locked" in line for line in said), said
    assert not [line for line in said if "[SQL:" in line or "\n" in line]
