"""What a digest call says of a channel it did not post: lost to another call's overlapping
period, posted already, being posted by another call. Real calls on SQLite and PostgreSQL
(two at once on PostgreSQL), the fake Slack on loopback."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from newsmon.clock import utcnow
from newsmon.corpus.digests import DigestTurn, NotBegun
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import DigestRow
from newsmon.pipeline.context import Context
from newsmon.pipeline.digests import DigestResult, run_digest
from newsmon.slack import make_sender
from tests.integration.test_digest_races import SETTLE, _thread
from tests.support.delivery import announce_alerts, config_path, context
from tests.support.fake_slack import FakeSlack
from tests.support.postgres import PG_URL, throwaway_schema


@pytest.mark.postgres
def test_a_call_that_loses_to_another_s_overlapping_period_says_so(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Two calls at once follow the channel's last digest to two different ends: one records
    its period, the other posts nothing. It said "already posted for this period (or being
    posted) (from …, where its last digest ended)": neither was true of its period."""
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="lost") as url:
        config = config_path(tmp_path, url)
        first, second = context(config, fake), context(config, fake)
        try:
            last_end = utcnow() - timedelta(hours=1)
            with first.store.session() as s:  # the channel's last digest, an hour ago
                s.add(
                    DigestRow(
                        channel="#a",
                        period_start=last_end - timedelta(hours=24),
                        period_end=last_end,
                        status=AlertStatus.SENT,
                        stories=0,
                        content=[],
                    )
                )
            announce_alerts(first.store, {"#a": 2})
            until = utcnow() + timedelta(seconds=1)
            results: list[DigestResult] = []
            errors: list[BaseException] = []

            def call(ctx: Context, end: float) -> None:
                sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
                ends = until + timedelta(seconds=end)
                results.append(run_digest(ctx, sender, ends - timedelta(hours=24), ends))

            blocker = first.store.engine.raw_connection()
            try:  # both calls wait at their read of the alerts, after finding where to start
                blocker.cursor().execute("LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE")
                calls = [
                    _thread(lambda c=c, e=e: call(c, e), errors)
                    for c, e in ((first, 0), (second, 1))
                ]
                time.sleep(SETTLE)
            finally:
                blocker.rollback()
                blocker.close()
            for thread in calls:
                thread.join(30)
            assert not errors and len(results) == 2
            assert len(fake.metadata_ids("newsmon_digest")) == 1
            [lost] = [r for r in results if not r.posted]
            line = lost.channels["#a"]
            assert "overlapping period" in line and "another call" in line, line
            assert "already posted" not in line and "where its last digest ended" not in line
        finally:
            first.close()
            second.close()


def test_a_call_for_a_period_taken_says_whether_it_is_posted_or_being_posted(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A call by hand while the scheduled call is still posting the same period said "already
    posted for this period (or being posted)": the operator could not tell a digest in the
    channel from one still on its way (and possibly stuck). Each is said, and typed, apart."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        announce_alerts(ctx.store, {"#a": 1})
        until = utcnow() + timedelta(seconds=1)
        since = until - timedelta(hours=24)
        digests = ctx.store.digests
        stories = digests.digest_stories("#a", since, until)
        claim = ctx.store.new_claim(timedelta(minutes=10))  # the other call, posting now
        turn = digests.begin_digest(claim, "#a", since, until, stories)
        assert isinstance(turn, DigestTurn)
        for only in ("#a", None):
            held = run_digest(ctx, sender, since, until, channel=only)
            assert held.channels == {"#a": "being posted by another call right now"}
            assert held.outcomes == {"#a": NotBegun.HELD} and not held.left
        assert digests.digest_progress(claim, turn.id, 1, "1.0", done=True)
        posted = run_digest(ctx, sender, since, until, channel="#a")
        assert posted.channels == {"#a": "already posted for this period"}
        assert posted.outcomes == {"#a": NotBegun.POSTED}
        assert fake.metadata_ids("newsmon_digest") == []  # the other call's post is not faked
    finally:
        ctx.close()
