"""`alerts.enabled: false` stops every post of alerts and thread replies, including those queued
before alerts were turned off, and loses none: they stay queued and go out once alerts are on
again. On SQLite and PostgreSQL, the real slack_sdk against the fake Slack on loopback.

Before, only new stories were held back (`skipped`): delivery never read the switch, so an
operator who turned alerts off in an incident still saw the queue posted pass after pass.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from typer.testing import CliRunner

from newsmon.cli import EXIT_CONFIG, EXIT_UNHEALTHY, app
from newsmon.clock import utcnow
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import Context, deliver
from newsmon.pipeline.alert_plans import alert_plan
from newsmon.pipeline.checkup import health_report
from newsmon.pipeline.digests import run_digest
from newsmon.pipeline.notices import announce_health
from newsmon.report import PassTotals
from newsmon.slack import make_sender
from tests.support.configs import write_config
from tests.support.delivery import FAST, MATCH, announce_alerts, context, new_article, queue_alerts
from tests.support.fake_slack import FakeSlack

# a feed enabled, so that health has no `no_feeds` to say besides alerts being off
FEEDS = [("wire", "https://wire.example/feed.xml")]


def configure(folder: Path, db_url: str, *, enabled: bool) -> Path:
    return write_config(
        folder, database_url=db_url, feeds=FEEDS, slack=FAST, alerts={"enabled": enabled}
    )


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


def test_alerts_off_posts_no_digest_and_the_next_one_after_takes_the_whole_period(
    tmp_path: Path, fake: FakeSlack, db_url: str
) -> None:
    """A digest is a post in the topics' channels too: none while alerts are off, nothing
    recorded, so the first digest once they are on lists the stories of the whole period."""
    now = utcnow()
    since, until = now - timedelta(hours=1), now + timedelta(hours=1)
    config = configure(tmp_path, db_url, enabled=False)
    ctx = context(config, fake)
    try:
        announce_alerts(ctx.store, {"#news": 2})  # sent before alerts were turned off
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        result = run_digest(ctx, sender, since, until)
        assert fake.posts == [] and result.posted == 0 and result.off
        assert "off (alerts.enabled: false)" in " ".join(result.lines())
        assert run_digest(ctx, sender, since, until, dry_run=True).previews  # still readable
    finally:
        ctx.close()
    ctx = context(configure(tmp_path, db_url, enabled=True), fake)
    try:
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        result = run_digest(ctx, sender, since, until)
        assert result.channels == {"#news": "2 stories in 1 message(s)"}, result.channels
        assert len(fake.posts) == 1
    finally:
        ctx.close()


def test_backfill_alerts_with_alerts_off_queues_nothing_and_says_so(
    tmp_path: Path, db_url: str
) -> None:
    """`backfill --alerts` revived held-back alerts as pending while alerts were off: none went
    out then, and all of them whenever alerts came back on, long after the operator ran it.
    Refused now, as `alerts retry` is (exit 2), before anything runs."""
    config = configure(tmp_path, db_url, enabled=False)
    ctx = context(config, None)
    try:
        queue_alerts(ctx.store, {"#news": 1})
        with ctx.store.session() as s:
            s.execute(update(AlertRow).values(status=AlertStatus.SKIPPED))  # held back
    finally:
        ctx.close()
    for args in (["--since", "2000-01-01"], ["--urls", "https://n.example/page"]):
        done = CliRunner().invoke(app, ["backfill", *args, "--alerts", "-c", str(config)])
        assert done.exit_code == EXIT_CONFIG, (args, done.output)
        assert "alerts.enabled: false" in done.output, done.output
    ctx = context(config, None)
    try:
        assert ctx.store.count_alerts(AlertStatus.PENDING) == 0
    finally:
        ctx.close()


def _held_back_while_off(ctx: Context, count: int, prefix: str) -> None:
    """Stories first seen while alerts are off, queued as a pass queues them (`alert_plan`)."""
    _, status, note = alert_plan(ctx, [], None, utcnow())
    for i in range(count):
        ctx.store.add_article(
            new_article(f"https://{prefix}.example/{i}", f"held {prefix} {i}", title=f"H{i}"),
            [MATCH],
            "v1",
            {"#news": ["policy"]},
            status,
            note,
        )


def _health(config: Path) -> tuple[int, dict[str, Any], str]:
    done = CliRunner().invoke(app, ["health", "--json", "-c", str(config)])
    text = CliRunner().invoke(app, ["health", "-c", str(config)])
    return done.exit_code, json.loads(done.output), text.output


def test_health_says_alerts_are_off_with_what_waits_and_what_was_held_back(
    tmp_path: Path, db_url: str
) -> None:
    """With alerts off stories pile up unannounced: `newsmon health` (text, --json, and so the
    operations channel's notices) said nothing of it and stayed healthy, for days. Now an
    `alerts_off` problem names what waits (pending) and what was held back since the last
    alert went out; held-back stories of an earlier switch-off are not counted."""
    config = configure(tmp_path, db_url, enabled=False)
    ctx = context(config, None)
    try:
        _held_back_while_off(ctx, 1, "earlier")  # an earlier switch-off, before the last post
        announce_alerts(ctx.store, {"#news": 1})  # the last alert that went out
        queue_alerts(ctx.store, {"#news": 2}, prefix="b")  # queued, kept pending while off
        _held_back_while_off(ctx, 3, "now")  # first seen while off: skipped
        ctx.store.runs.record_run("monitor", utcnow(), {})  # a pass completed: no `no_pass`
    finally:
        ctx.close()
    code, report, text = _health(config)
    off = [p for p in report["problems"] if p["kind"] == "alerts_off"]
    assert report["problems"] == off and len(off) == 1, report["problems"]  # the only problem
    assert "2 alert(s) pending" in off[0]["message"], off[0]
    assert "3 held back" in off[0]["message"], off[0]
    assert code == EXIT_UNHEALTHY and not report["healthy"]
    assert "  alerts_off: " in text, text

    configure(tmp_path, db_url, enabled=True)  # on again: no longer said, healthy (exit 0)
    code, report, _ = _health(config)
    assert report["problems"] == [] and report["healthy"] and code == 0, report["problems"]


def test_the_operations_channel_hears_once_that_alerts_are_off(
    tmp_path: Path, fake: FakeSlack, db_url: str
) -> None:
    """The ops channel, which still gets notices while alerts are off, is told so once."""
    ops = "#newsmon-ops"
    config = write_config(
        tmp_path, database_url=db_url, slack={**FAST, "ops_channel": ops}, alerts={"enabled": False}
    )
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#news": 1})
        for _ in range(2):  # a second pass says nothing more
            announce_health(ctx, health_report(ctx.store, ctx.config, utcnow()))
        texts = [p["blocks"][0]["text"]["text"] for p in fake.posts if p["channel"] == ops]
        said = [t for t in texts if "alerts are off" in t]
        assert len(said) == 1 and "1 alert(s) pending" in said[0], texts
    finally:
        ctx.close()
