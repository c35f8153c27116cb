"""Slack's Retry-After kept across delivery passes and runs, for alerts (and the digests of the
same pass): a channel Slack asked to wait longer than a pass holds its claim is not posted to
again before the wait ends. Real slack_sdk against the fake Slack on loopback, SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import deliver
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

HOUR = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})


def test_an_alert_left_for_a_long_retry_after_is_not_posted_by_the_next_pass(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Slack asked #slow to wait an hour; the pass left its alerts, but kept no record of the
    wait: the next pass (cron, minutes later) posted to #slow at once, before Slack's wait
    ended. Every alert of #slow now waits, pending with no attempt counted, its next try at
    the wait's end (`newsmon alerts` says so); once it is over they all go out, once."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        queue_alerts(ctx.store, {"#slow": 12, "#fast": 1})
        fake.channel_script["#slow"] = [HOUR]
        first = deliver(ctx)
        assert first.sent == 1 and first.deferred >= 1
        tried = len(fake.attempts)

        second = deliver(ctx)  # the next pass, well within the hour
        assert len(fake.attempts) == tried, fake.attempts[tried:]
        assert second.sent == 0
        waiting = ctx.store.list_alerts(channel="#slow", limit=100)
        assert len(waiting) == 12
        for alert in waiting:
            assert alert.status is AlertStatus.PENDING and alert.attempts == 0
            assert alert.next_attempt_at is not None
            wait = alert.next_attempt_at - alert.created_at
            assert timedelta(minutes=59) < wait < timedelta(minutes=61)
            assert alert.last_error and "Retry-After" in alert.last_error

        with ctx.store.session() as s:  # the hour is over
            s.execute(update(AlertRow).values(next_attempt_at=None))
        third = deliver(ctx)
        assert third.sent == 12 and len(fake.top_level("#slow")) == 12
        assert all(a.status is AlertStatus.SENT for a in ctx.store.list_alerts(channel="#slow"))
    finally:
        ctx.close()
