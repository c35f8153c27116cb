"""`alerts.enabled: false` stops every post of alerts and thread replies, including those queued
before alerts were turned off, and loses none: they stay queued and go out once alerts are on
again. On SQLite and PostgreSQL, the real slack_sdk against the fake Slack on loopback.

Before, only new stories were held back (`skipped`): delivery never read the switch, so an
operator who turned alerts off in an incident still saw the queue posted pass after pass.
"""

from __future__ import annotations

from pathlib import Path

from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import deliver
from newsmon.report import PassTotals
from tests.support.configs import write_config
from tests.support.delivery import FAST, context, queue_alerts
from tests.support.fake_slack import FakeSlack


def configure(folder: Path, db_url: str, *, enabled: bool) -> Path:
    return write_config(folder, database_url=db_url, slack=FAST, alerts={"enabled": enabled})


def test_alerts_off_posts_nothing_queued_and_keeps_it_for_when_they_are_on(
    tmp_path: Path, fake: FakeSlack, db_url: str
) -> None:
    config = configure(tmp_path, db_url, enabled=True)
    ctx = context(config, fake)
    try:
        [announced] = queue_alerts(ctx.store, {"#news": 1})
        assert deliver(ctx).sent == 1
        queue_alerts(ctx.store, {"#news": 2, "#policy": 1}, prefix="b")  # queued, not yet sent
        feed = ctx.store.sync_feed("wire", "https://wire.example/feed.xml", "en")
        assert ctx.store.queue_replies(announced, feed.id, "https://wire.example/copy") == 1
    finally:
        ctx.close()
    posted = len(fake.posts)

    configure(tmp_path, db_url, enabled=False)  # the operator turns alerts off
    ctx = context(config, fake)
    try:
        outcome = deliver(ctx)
        assert len(fake.posts) == posted  # not one post
        assert (outcome.sent, outcome.replies_sent, outcome.failed, outcome.deferred) == (0,) * 4
        assert outcome.off
        assert ctx.store.count_alerts(AlertStatus.PENDING) == 3  # nothing skipped, failed, lost
        totals = PassTotals.of([], outcome, 3)  # the pass's line says why nothing went out
        assert "alerts: off (alerts.enabled: false), 3 pending kept" in totals.line()
        assert totals.as_dict()["alerts_off"] is True
    finally:
        ctx.close()

    configure(tmp_path, db_url, enabled=True)  # and on again: what waited goes out, once
    ctx = context(config, fake)
    try:
        outcome = deliver(ctx)
        assert (outcome.sent, outcome.replies_sent, outcome.off) == (3, 1, False)
        assert ctx.store.count_alerts(AlertStatus.PENDING) == 0
        assert len(fake.top_level()) == 4 and len(fake.replies()) == 1
    finally:
        ctx.close()
