"""Digests beside concurrent writers: a post recorded while a digest reads its period, and two
digest calls at once, each story in exactly one digest. Real threads, the fake Slack on
loopback, SQLite and PostgreSQL; a lock held by the test widens each race to a sure one."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import newsmon.corpus.claims
from newsmon.clock import utcnow
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import DigestRow
from newsmon.pipeline.context import Context
from newsmon.pipeline.digests import run_digest
from newsmon.slack import make_sender
from tests.support.delivery import announce_alerts, config_path, context, queue_alerts
from tests.support.fake_slack import INTERNAL_ERROR, FakeSlack
from tests.support.postgres import PG_URL, throwaway_schema

SETTLE = 0.4  # long enough for a thread to reach the lock it waits on


def _listed(ctx: Context) -> Counter[int]:
    """How many recorded digests list each article."""
    with ctx.store.session() as s:
        contents = s.scalars(select(DigestRow.content)).all()
    return Counter(int(item["article_id"]) for content in contents for item in content or [])


def _digest_since(ctx: Context, until: datetime, hours: float) -> None:
    """A digest call for `#a` ending at `until`, `--since` `hours`."""
    sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
    run_digest(ctx, sender, until - timedelta(hours=hours), until, channel="#a")


def _thread(target: Callable[[], Any], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as exc:  # surfaced by the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_post_recorded_while_a_digest_reads_its_period_is_in_exactly_one_digest(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A delivery stamps its post's time, then waits for a lock (another writer, a row lock)
    before it commits; a digest reading meanwhile used not to see it, and ended its period
    after the stamp: the next digest started there, and the story was in none."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        [first] = announce_alerts(ctx.store, {"#a": 1})
        [second] = queue_alerts(ctx.store, {"#a": 1}, prefix="b")
        claim = ctx.store.new_claim(timedelta(minutes=5))
        [job] = ctx.store.outbox.claim_alerts(claim, 10)
        since = utcnow() - timedelta(hours=1)
        blocker = ctx.store.engine.raw_connection()
        errors: list[BaseException] = []
        try:
            cur = blocker.cursor()
            if ctx.store.engine.dialect.name == "sqlite":
                cur.execute("BEGIN IMMEDIATE")  # another writer's transaction
            else:
                cur.execute("SELECT id FROM alerts WHERE id = %s FOR UPDATE", (job.id,))
            delivery = _thread(
                lambda: ctx.store.outbox.alert_sent(
                    claim, job.id, destination="#a", slack_ts="2.0"
                ),
                errors,
            )
            time.sleep(SETTLE)
            until = utcnow()
            digest = _thread(lambda: run_digest(ctx, sender, since, until), errors)
            time.sleep(SETTLE)
        finally:
            blocker.rollback()
            blocker.close()
        delivery.join(30)
        digest.join(30)
        assert not errors
        run_digest(ctx, sender, since, utcnow() + timedelta(seconds=1))
        assert _listed(ctx) == {first: 1, second: 1}
    finally:
        ctx.close()


@pytest.mark.postgres
def test_two_digest_calls_at_once_for_other_periods_post_the_stories_once(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """The scheduled call (24 hours) and one by hand (`--since 12h`) for a channel with no
    digest yet, on two workers at once: each found no digest to follow, both recorded their
    own period and the stories of the last 12 hours were posted twice."""
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="digests") as url:
        config = config_path(tmp_path, url)
        first, second = context(config, fake), context(config, fake)
        try:
            ids = announce_alerts(first.store, {"#a": 2})
            until = utcnow() + timedelta(seconds=1)
            errors: list[BaseException] = []
            blocker = first.store.engine.raw_connection()
            try:
                # both calls wait at their first read of the alerts, after finding no digest
                blocker.cursor().execute("LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE")
                calls = [
                    _thread(partial(_digest_since, ctx, until, hours), errors)
                    for ctx, hours in ((first, 24), (second, 12))
                ]
                time.sleep(SETTLE)
            finally:
                blocker.rollback()
                blocker.close()
            for call in calls:
                call.join(30)
            assert not errors
            assert _listed(first) == {article: 1 for article in ids}
            assert len(fake.metadata_ids("newsmon_digest")) == 1
        finally:
            first.close()
            second.close()


@pytest.mark.postgres
def test_a_post_recorded_by_a_worker_whose_clock_runs_behind_is_in_the_next_digest(
    tmp_path: Path, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers on several hosts share one PostgreSQL corpus. A post was stamped in its
    worker's clock: a host 10 minutes behind recorded, after the 09:00 digest, a post at 08:5x,
    inside the period already listed: the next digest started at 09:00 and the story was in
    none. Posts are now stamped in the database server's clock, as leases are."""
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="behind") as url:
        ctx = context(config_path(tmp_path, url), fake)
        try:
            sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
            [first] = announce_alerts(ctx.store, {"#a": 1})
            [second] = queue_alerts(ctx.store, {"#a": 1}, prefix="b")
            claim = ctx.store.new_claim(timedelta(minutes=30))
            [job] = ctx.store.outbox.claim_alerts(claim, 10)
            since = utcnow() - timedelta(hours=1)
            run_digest(ctx, sender, since, utcnow())  # the digest host's clock is right

            def behind() -> datetime:
                return datetime.now(UTC) - timedelta(minutes=10)

            monkeypatch.setattr(newsmon.corpus.claims, "utcnow", behind)
            assert ctx.store.outbox.alert_sent(claim, job.id, destination="#a", slack_ts="2.0")
            monkeypatch.undo()
            run_digest(ctx, sender, since, utcnow() + timedelta(seconds=1))
            assert _listed(ctx) == {first: 1, second: 1}
        finally:
            ctx.close()


def test_an_unfinished_digest_overlapping_an_older_recorded_period_is_still_finished(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Periods recorded before digests followed the last one's end may overlap; refusing a new
    period that overlaps another must not keep an unfinished digest from being finished."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        ids = announce_alerts(ctx.store, {"#a": 2})
        until = utcnow() + timedelta(seconds=1)
        since = until - timedelta(hours=24)
        fake.channel_id("#a")  # the channel exists: the lost part is looked up there
        fake.channel_script["#a"] = [INTERNAL_ERROR]
        assert run_digest(ctx, sender, since, until).unfinished == 1
        with ctx.store.session() as s:  # an older period, recorded by a run hours late
            s.add(
                DigestRow(
                    channel="#a",
                    period_start=since - timedelta(hours=2),
                    period_end=since + timedelta(hours=2),
                    status=AlertStatus.SENT,
                    stories=0,
                    content=[],
                )
            )
        finished = run_digest(ctx, sender, since, until)
        assert finished.unfinished == 0 and finished.posted == 1
        assert _listed(ctx) == {article: 1 for article in ids}
    finally:
        ctx.close()
