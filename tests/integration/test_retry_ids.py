"""`newsmon alerts retry` by the ids `newsmon alerts` lists, on SQLite and PostgreSQL with the
real CLI, store and slack_sdk against the fake Slack on loopback.

Alerts and thread replies are numbered apart, and `alerts retry ID…` took alert ids only: an
operator passing the id of the failed reply `newsmon alerts` listed re-queued the alert of that
number, an unrelated story, and one held back as too old was then posted as news, while the
reply stayed failed. And the id of the reply's alert (always sent) re-queued nothing, saying
only "re-queued 0 alert(s)". A reply is now listed and re-queued as `r<id>`; an alert id that
names nothing to re-queue says why and touches nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ReplyRow
from newsmon.pipeline import Context, deliver
from tests.support.articles import new_article
from tests.support.delivery import MATCH, config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

runner = CliRunner()
SLACK_DOWN = Scripted(503, {"ok": False, "error": "service_unavailable"})
TOO_OLD = Hold(HoldReason.TOO_OLD, "older than 48 h when first seen")


def _failed_reply_under_a_posted_story(ctx: Context, slack: FakeSlack) -> tuple[int, int]:
    """Two stories held back as too old (alerts #1, #2 on a fresh corpus), one posted whose
    thread reply gave up in an outage: (the held-back alert of the reply's number, the posted
    story's alert)."""
    for i in range(2):
        ctx.store.add_article(
            new_article(f"https://old.example/{i}", f"an old story {i}", title=f"Old {i}"),
            [MATCH],
            "v1",
            {"#news": ["policy"]},
            AlertStatus.SKIPPED,
            TOO_OLD,
        )
    [article] = queue_alerts(ctx.store, {"#news": 1})
    assert deliver(ctx).sent == 1
    wire = ctx.store.sync_feed("wire-copy", "https://wire.example/feed.xml", "en")
    assert ctx.store.queue_replies(article, wire.id, "https://wire.example/copy") == 1
    slack.outage = SLACK_DOWN
    deliver(ctx)
    assert deliver(ctx).replies_failed == 1
    slack.outage = None
    with ctx.store.session() as s:
        reply = s.scalars(select(ReplyRow)).one()
        held = s.get(AlertRow, reply.id)
        assert held is not None and held.status is AlertStatus.SKIPPED  # the same number
        return held.id, reply.alert_id


def _statuses(ctx: Context) -> tuple[dict[int, AlertStatus], dict[int, AlertStatus]]:
    with ctx.store.session() as s:
        alerts = {a.id: a.status for a in s.scalars(select(AlertRow))}
        replies = {r.id: r.status for r in s.scalars(select(ReplyRow))}
    return alerts, replies


def test_retrying_the_id_listed_for_a_failed_reply_requeues_that_reply_only(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url, retry_delays_minutes=[0.0], stop_after_failures=1000)
    ctx = context(config, slack)
    try:
        held, _ = _failed_reply_under_a_posted_story(ctx, slack)
    finally:
        ctx.close()
    listed = runner.invoke(app, ["alerts", "--status", "failed", "--config", str(config)])
    assert listed.exit_code == 0, listed.output
    [line] = [x for x in listed.output.splitlines() if x.startswith("reply ")]
    shown = line.split()[1].lstrip("#")  # as the operator types it (a shell drops "#…")

    retried = runner.invoke(app, ["alerts", "retry", shown, "--config", str(config)])
    assert retried.exit_code == 0, retried.output
    ctx = context(config, slack)
    try:
        outcome = deliver(ctx)
        alerts, replies = _statuses(ctx)
    finally:
        ctx.close()
    assert (outcome.sent, outcome.replies_sent) == (0, 1)  # the reply, in its thread
    assert alerts[held] is AlertStatus.SKIPPED  # the old story stays held back
    assert list(replies.values()) == [AlertStatus.SENT]
    assert len(slack.top_level("#news")) == 1


def test_an_alert_id_naming_nothing_to_requeue_touches_nothing_and_names_its_replies(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = config_path(tmp_path, db_url, retry_delays_minutes=[0.0], stop_after_failures=1000)
    ctx = context(config, slack)
    try:
        reply, posted = _failed_reply_under_a_posted_story(ctx, slack)  # numbered alike
        before = _statuses(ctx)
    finally:
        ctx.close()
    for named in (str(posted), "999"):  # sent (its reply failed), and no such alert
        retried = runner.invoke(app, ["alerts", "retry", named, "--config", str(config)])
        assert retried.exit_code == 1, retried.output  # a script can tell
        assert f"#{named}" in retried.output  # the line says which id re-queued nothing
    assert (
        f"r{reply}"
        in runner.invoke(app, ["alerts", "retry", str(posted), "--config", str(config)]).output
    )  # …and how to re-queue the sent alert's failed reply
    bad = runner.invoke(app, ["alerts", "retry", "x7", "--config", str(config)])
    assert bad.exit_code == 2
    ctx = context(config, slack)
    try:
        assert _statuses(ctx) == before
    finally:
        ctx.close()


def test_an_id_left_out_by_within_blames_within_and_is_requeued_without_it(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """`--within` counts from when an alert gave up; a held-back (skipped) or waiting alert
    never gave up, so `alerts retry ID --within 24h` re-queued nothing and said only "skipped"
    or "pending", which names no cause: the operator could not tell `--within` left it out."""
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        ctx.store.add_article(
            new_article("https://old.example/0", "an old story", title="Old"),
            [MATCH],
            "v1",
            {"#news": ["policy"]},
            AlertStatus.SKIPPED,
            TOO_OLD,
        )
        queue_alerts(ctx.store, {"#news": 1})
        with ctx.store.session() as s:
            skipped, waiting = sorted(s.scalars(select(AlertRow.id)))
    finally:
        ctx.close()
    args = ["alerts", "retry", str(skipped), str(waiting), "--within", "24h", "-c", str(config)]
    retried = runner.invoke(app, args)
    assert retried.exit_code == 1, retried.output
    for alert in (skipped, waiting):
        [line] = [x for x in retried.output.splitlines() if x.startswith(f"alert #{alert}:")]
        assert "--within 24h" in line, line  # the cause, and what works instead
    again = runner.invoke(app, ["alerts", "retry", str(skipped), str(waiting), "-c", str(config)])
    assert again.exit_code == 0 and "re-queued 2 alert(s)" in again.output, again.output
