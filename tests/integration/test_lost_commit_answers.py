"""A write whose COMMIT PostgreSQL carried out but whose answer the connection lost (a failover
or a pgbouncer restart at that instant): `rerun_if_dropped` runs it once more, so running it
twice must leave the corpus, and what the pass reports, as running it once does.

The answer is lost for real: the DBAPI commit is carried out, then the server terminates that
connection (`pg_terminate_backend`) and the driver's own error for it is what SQLAlchemy sees.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Engine

from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import ReplyRow
from newsmon.pipeline import deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack
from tests.support.postgres import PG_URL, throwaway_schema


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="lostcommit") as url:
        yield url


@contextmanager
def answer_lost(engine: Engine, statement: str) -> Iterator[list[int]]:
    """The first transaction of `engine` that runs a statement matching `statement` commits,
    then its connection is terminated before the answer is read; yields the pids terminated."""
    admin = create_engine(os.environ.get("NEWSMON_TEST_POSTGRES_ADMIN_URL") or PG_URL)
    pattern, marked, killed = re.compile(statement, re.S), set[int](), list[int]()
    dialect = engine.dialect
    commit = dialect.do_commit

    def watch(conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if not killed and pattern.search(sql):
            marked.add(id(conn.connection.dbapi_connection))

    def do_commit(dbapi_conn: Any) -> None:
        raw = dbapi_conn.dbapi_connection
        commit(dbapi_conn)
        if killed or id(raw) not in marked:
            return
        pid = raw.info.backend_pid
        with admin.begin() as a:  # waits until the backend has gone
            a.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
        killed.append(pid)
        raw.execute("SELECT 1")  # the driver's error for the lost connection

    event.listen(engine, "before_cursor_execute", watch)
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    try:
        yield killed
    finally:
        event.remove(engine, "before_cursor_execute", watch)
        del dialect.do_commit
        admin.dispose()
    assert killed, f"no transaction ran {statement!r}: nothing was terminated"


@pytest.mark.postgres
def test_a_post_recorded_but_its_answer_lost_counts_as_sent_without_an_error(
    tmp_path: Path, pg_url: str, fake: FakeSlack
) -> None:
    """The record of a post committed, its answer lost: the second try found the alert no
    longer held by the claim and the pass said it was "posted after its claim expired" and
    counted one alert fewer sent, though nothing went wrong and nothing is left to find."""
    ctx = context(config_path(tmp_path, pg_url), fake)
    try:
        ids = queue_alerts(ctx.store, {"#a": 2})
        with answer_lost(ctx.store.engine, r"UPDATE alerts SET .*sent_at"):
            outcome = deliver(ctx)
        posted = Counter(fake.metadata_ids())
        assert sorted(posted) == sorted(str(i) for i in ids) and set(posted.values()) == {1}
        assert ctx.store.count_alerts(AlertStatus.SENT) == len(ids)
        assert outcome.errors == []
        assert outcome.sent == len(ids)
    finally:
        ctx.close()


@pytest.mark.postgres
def test_a_feed_failure_recorded_but_its_answer_lost_is_counted_once(pg_url: str) -> None:
    """One failed fetch counted as two consecutive failures (the rerun added one more): the
    feed backs off and is reported failing a pass early."""
    store = Store.open(pg_url)
    try:
        feed = store.sync_feed("f", "https://feeds.example/f.xml", None)
        with answer_lost(store.engine, r"UPDATE feeds SET .*consecutive_failures"):
            store.record_feed_failure(feed.id, "HTTP 503", status=503)
        [health] = store.feed_health()
        assert health.consecutive_failures == 1
    finally:
        store.close()


@pytest.mark.postgres
def test_a_feed_read_recorded_but_its_answer_lost_counts_its_entries_once(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        feed = store.sync_feed("f", "https://feeds.example/f.xml", None)
        with answer_lost(store.engine, r"UPDATE feeds SET .*entries_seen"):
            store.record_feed_success(feed.id, entries=5, etag=None, last_modified=None)
        [health] = store.feed_health()
        assert health.entries_seen == 5
    finally:
        store.close()


@pytest.mark.postgres
def test_a_claim_of_alerts_whose_answer_was_lost_claims_no_more_than_its_limit(
    tmp_path: Path, pg_url: str, fake: FakeSlack
) -> None:
    """The claim committed, its answer lost: the rerun claimed `limit` more under the same
    claim and returned both batches (twice the limit, past what its lease was sized for)."""
    ctx = context(config_path(tmp_path, pg_url), fake)
    try:
        queue_alerts(ctx.store, {"#a": 3, "#b": 3})
        claim = ctx.store.new_claim(timedelta(minutes=5))
        with answer_lost(ctx.store.engine, r"UPDATE alerts SET status"):
            jobs = ctx.store.outbox.claim_alerts(claim, 2)
        assert len(jobs) == 2, [j.id for j in jobs]
        assert ctx.store.count_alerts(AlertStatus.SENDING) == 2
        assert ctx.store.count_alerts(AlertStatus.PENDING) == 4
    finally:
        ctx.close()


@pytest.mark.postgres
def test_a_claim_of_replies_whose_answer_was_lost_claims_no_more_than_its_limit(
    tmp_path: Path, pg_url: str, fake: FakeSlack
) -> None:
    ctx = context(config_path(tmp_path, pg_url), fake)
    try:
        stories = queue_alerts(ctx.store, {"#news": 4})
        assert deliver(ctx).sent == 4
        for n, story in enumerate(stories):
            feed = ctx.store.sync_feed(f"wire-{n}", f"https://w{n}.example/feed.xml", "en")
            assert ctx.store.queue_replies(story, feed.id, f"https://w{n}.example/copy") == 1
        claim = ctx.store.new_claim(timedelta(minutes=5))
        with answer_lost(ctx.store.engine, r"UPDATE alert_replies SET status.*claimed_by"):
            jobs = ctx.store.replies.claim_replies(claim, 2)
        assert len(jobs) == 2, [j.id for j in jobs]
        with ctx.store.session() as s:
            sending = s.scalar(select(func.count()).where(ReplyRow.status == AlertStatus.SENDING))
        assert sending == 2
    finally:
        ctx.close()
