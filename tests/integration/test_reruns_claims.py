"""Writes PostgreSQL aborts to break a deadlock (`40P01`) are run again, on real PostgreSQL:
a claim's renewal, a story's thread found gone, an operator's `newsmon alerts retry`.

Before, these three were not re-run (`rerun_if_dropped`) as the other corpus writes are: the
renewal was logged with its SQL and left for 100 s, a reply's lost thread stopped delivery for
the whole pass ("the database refused a write"), and `alerts retry` exited 3 having re-queued
nothing (or part of what it was asked).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.holds import HoldReason
from newsmon.corpus.records import AlertStatus, FeedSpec
from newsmon.corpus.schema import AlertRow, DigestRow, FeedRow, HealthNoticeRow, ReplyRow
from newsmon.notices import NOTICE_EVENT
from newsmon.pipeline.claims import new_owner
from newsmon.pipeline.digests import run_digest
from newsmon.pipeline.notices import announce_health
from newsmon.slack import make_sender
from tests.integration.test_ops_notices import health
from tests.support.deadlocks import deadlocked, pg_deadlock_url
from tests.support.delivery import announce_alerts, config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_deadlock_url("reruns") as url:
        yield url


def test_a_deadlocked_renewal_of_a_passs_claims_is_run_again(pg_url: str) -> None:
    """The renewal is the deadlock's victim: it raised, the pass logged it with the statement
    and waited a third of the lease for the next turn. Now it runs again and renews."""
    store = Store.open(pg_url)
    try:
        owner = new_owner()
        states = store.sync_feeds([FeedSpec(f"f{i}", f"https://e.org/{i}", "en") for i in (1, 2)])
        ids = [s.id for s in states.values()]
        claimed = store.feeds.claim_feeds(
            ids, owner, pass_started=store.feeds._db.now(), lease=timedelta(seconds=30)
        )
        assert len(claimed) == 2
        with deadlocked(pg_url, "feeds") as arm:
            arm()
            renewed = store.renew_claims(ids, owner, timedelta(minutes=5))
        assert renewed == 2
        with store.session() as s:
            expiry = list(s.scalars(select(FeedRow.claim_expires_at)))
        assert all(
            e is not None and e > store.feeds._db.now() + timedelta(minutes=4) for e in expiry
        )
    finally:
        store.close()


def test_a_deadlocked_record_of_a_thread_gone_is_run_again(pg_url: str) -> None:
    """Slack said the story's message is gone; recording it on the alert is the deadlock's
    victim: delivery stopped for the pass ("the database refused a write"), every other alert
    and reply left for the next one. Now it runs again: the alert remembers its thread is gone
    and its queued reply is dropped with why."""
    store = Store.open(pg_url)
    try:
        (article,) = announce_alerts(store, {"#news": 1})
        (alert,) = store.list_alerts()
        wire = store.sync_feed("wire", "https://wire.example/feed.xml", "en")
        assert store.queue_replies(article, wire.id, "https://wire.example/1") == 1
        with deadlocked(pg_url, "alerts") as arm:
            arm()
            dropped = store.replies.thread_gone(alert.id, "thread_not_found")
        assert dropped == 1
        with store.session() as s:
            assert s.scalar(select(AlertRow.thread_gone)) == "thread_not_found"
            reply = s.execute(select(ReplyRow.status, ReplyRow.hold_reason)).one()
        assert tuple(reply) == (AlertStatus.SKIPPED, HoldReason.THREAD_GONE)
    finally:
        store.close()


def test_alerts_retry_whose_write_is_deadlocked_requeues_the_alert(
    tmp_path: Path, pg_url: str
) -> None:
    """`newsmon alerts retry 7` while a pass delivers: its re-queue is the deadlock's victim.
    It exited 3 ("database error: … deadlock detected"), nothing re-queued; now it runs
    again and re-queues the alert."""
    config = config_path(tmp_path, pg_url)
    store = Store.open(pg_url)
    try:
        (alert_id,) = queue_alerts(store, {"#news": 1})
        with store.session() as s:
            s.execute(update(AlertRow).values(status=AlertStatus.FAILED, attempts=7))
            alert_id = s.scalar(select(AlertRow.id))
        with deadlocked(pg_url, "alerts") as arm:
            arm()
            done = CliRunner().invoke(app, ["alerts", "retry", str(alert_id), "-c", str(config)])
        assert done.exit_code == 0, done.output
        assert "re-queued 1 alert(s)" in done.output, done.output
        with store.session() as s:
            assert s.execute(select(AlertRow.status, AlertRow.attempts)).one() == (
                AlertStatus.PENDING,
                0,
            )
    finally:
        store.close()


@pytest.mark.parametrize("named", [True, False], ids=["rID", "--failed"])
def test_alerts_retry_of_replies_whose_write_is_deadlocked_requeues_them(
    tmp_path: Path, pg_url: str, named: bool
) -> None:
    """`newsmon alerts retry r7` (or `--failed`) for a thread reply that gave up, its write
    the deadlock's victim: exit 3, the reply left failed. Now it runs again and re-queues it."""
    config = config_path(tmp_path, pg_url)
    store = Store.open(pg_url)
    try:
        (article,) = announce_alerts(store, {"#news": 1})
        wire = store.sync_feed("wire", "https://wire.example/feed.xml", "en")
        assert store.queue_replies(article, wire.id, "https://wire.example/1") == 1
        with store.session() as s:
            s.execute(update(ReplyRow).values(status=AlertStatus.FAILED, attempts=7))
            reply_id = s.scalar(select(ReplyRow.id))
        which = [f"r{reply_id}"] if named else ["--failed"]
        with deadlocked(pg_url, "alert_replies") as arm:
            arm()
            done = CliRunner().invoke(app, ["alerts", "retry", *which, "-c", str(config)])
        assert done.exit_code == 0, done.output
        assert "1 thread reply(ies)" in done.output, done.output
        with store.session() as s:
            assert s.execute(select(ReplyRow.status, ReplyRow.attempts)).one() == (
                AlertStatus.PENDING,
                0,
            )
    finally:
        store.close()


def test_a_digest_whose_record_of_a_posted_part_is_deadlocked_is_recorded_in_the_same_call(
    tmp_path: Path, pg_url: str, fake: FakeSlack
) -> None:
    """Slack took the digest; recording it is the deadlock's victim. The call ended with the
    database's error (the flow run failed, `newsmon digest` exit 3) and the digest stayed
    claimed for its lease, then was looked up. Now the record runs again: posted once, sent."""
    ctx = context(config_path(tmp_path, pg_url), fake)
    try:
        announce_alerts(ctx.store, {"#a": 2})
        until = utcnow() + timedelta(seconds=1)
        with deadlocked(pg_url, "digests") as arm:
            posting = fake._post

            def post(body: dict[str, Any]) -> Scripted:
                arm()  # the part's record waits for its row: the cycle closes there
                return posting(body)

            fake._post = post  # type: ignore[method-assign]
            sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
            done = run_digest(ctx, sender, until - timedelta(hours=24), until)
        assert done.posted == 1 and not done.left, done.channels
        assert len(fake.metadata_ids("newsmon_digest")) == 1
        with ctx.store.session() as s:
            assert s.execute(select(DigestRow.status, DigestRow.claimed_by)).one() == (
                AlertStatus.SENT,
                None,
            )
    finally:
        ctx.close()


def test_a_health_notice_whose_record_is_deadlocked_is_recorded_in_the_same_pass(
    tmp_path: Path, pg_url: str, fake: FakeSlack
) -> None:
    """Slack took the operations notice; recording it is the deadlock's victim: the pass's
    health step ended with the database's error and the notice stayed claimed for its lease.
    Now the record runs again: posted once, sent."""
    ctx = context(config_path(tmp_path, pg_url, ops_channel="#ops"), fake)
    try:
        with deadlocked(pg_url, "health_notices") as arm:
            posting = fake._post

            def post(body: dict[str, Any]) -> Scripted:
                arm()  # the notice's record waits for its row: the cycle closes there
                return posting(body)

            fake._post = post  # type: ignore[method-assign]
            done = announce_health(ctx, health(["wire"]))
        assert (done.opened, done.posted, done.error) == (1, 1, None)
        assert len(fake.metadata_ids(NOTICE_EVENT)) == 1
        with ctx.store.session() as s:
            assert s.scalar(select(HealthNoticeRow.status)) is AlertStatus.SENT
    finally:
        ctx.close()
