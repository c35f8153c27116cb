"""Why an alert was held back (`skipped`) is a typed reason stored beside its note: decisions
(health's `alerts_off`, listings by reason) read the reason, never the wording. On SQLite and
PostgreSQL.

Before, health counted the alerts held back while alerts were off by comparing their note with
`ALERTS_OFF_NOTE`: a reworded note (or rows stored under an older wording) silently counted 0.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from typer.testing import CliRunner

from newsmon.cli import EXIT_CONFIG, app
from newsmon.clock import utcnow
from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import Context
from newsmon.pipeline.alert_plans import alert_plan
from tests.support.configs import write_config
from tests.support.delivery import FAST, MATCH, announce_alerts, context, new_article


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


def test_health_counts_alerts_held_back_while_off_whatever_their_note_says(
    tmp_path: Path, db_url: str
) -> None:
    """The note is for people: stored under another wording (a release reworded it since),
    the alerts held back while alerts were off are still counted by health."""
    config = write_config(tmp_path, database_url=db_url, slack=FAST, alerts={"enabled": False})
    ctx = context(config, None)
    try:
        announce_alerts(ctx.store, {"#news": 1})  # the last alert that went out
        _held_back_while_off(ctx, 2, "now")
        with ctx.store.session() as s:  # the wording of an earlier (or a later) release
            skipped = AlertRow.status == AlertStatus.SKIPPED
            s.execute(update(AlertRow).where(skipped).values(last_error="alerts switched off"))
        held = ctx.store.alert_views.held_back_while_off()
        assert held.count == 2, held
        assert held.first is not None
    finally:
        ctx.close()


def test_alerts_lists_held_back_alerts_by_their_reason(tmp_path: Path, db_url: str) -> None:
    """`newsmon alerts --status skipped --reason too_old`: the operator asks for the stories
    held back as too old, not those held back while alerts were off; each row says its reason.
    Before, held-back alerts could only be told apart by reading each note."""
    config = write_config(tmp_path, database_url=db_url, slack=FAST, alerts={"enabled": False})
    ctx = context(config, None)
    try:
        _held_back_while_off(ctx, 2, "off")
        old = Hold(HoldReason.TOO_OLD, "older than 24 h when first seen")
        for i in range(3):
            ctx.store.add_article(
                new_article(f"https://old.example/{i}", f"old story {i}", title=f"Old{i}"),
                [MATCH],
                "v1",
                {"#news": ["policy"]},
                AlertStatus.SKIPPED,
                old,
            )
    finally:
        ctx.close()
    args = ["alerts", "--status", "skipped", "-c", str(config)]
    done = CliRunner().invoke(app, [*args, "--reason", "too_old"])
    assert done.exit_code == 0, done.output
    assert done.output.count("skipped (too_old)") == 3, done.output
    assert "Old0" in done.output and "H0" not in done.output, done.output
    done = CliRunner().invoke(app, [*args, "--reason", "alerts_off", "--limit", "1"])
    assert done.exit_code == 0, done.output
    assert done.output.count("skipped (alerts_off)") == 1, done.output
    assert "1 more alert(s)" in done.output, done.output  # the count follows the filter
    done = CliRunner().invoke(app, [*args, "--reason", "bored"])
    assert done.exit_code == EXIT_CONFIG and "--reason wants one of" in done.output, done.output


def test_retrying_a_dropped_reply_says_which_reason_dropped_it(tmp_path: Path, db_url: str) -> None:
    """`alerts retry rN` on a reply dropped for good said "its alert is not posted, or its
    thread is gone" whichever it was: the operator could not tell whether re-queuing the alert
    would bring it back (not posted) or nothing would (thread gone). It says which now."""
    config = write_config(tmp_path, database_url=db_url, slack=FAST)
    ctx = context(config, None)
    try:
        articles = announce_alerts(ctx.store, {"#news": 1, "#policy": 1})
        alerts = {a.channel: a.id for a in ctx.store.list_alerts()}
        wire = ctx.store.sync_feed("wire", "https://wire.example/feed.xml", "en")
        with ctx.store.session() as s:  # #policy's alert held back (as too old), never posted
            s.execute(
                update(AlertRow)
                .where(AlertRow.id == alerts["#policy"])
                .values(status=AlertStatus.SKIPPED, hold_reason=HoldReason.TOO_OLD)
            )
        ctx.store.replies.thread_gone(alerts["#news"], "thread_not_found")  # message deleted
        for article in articles:
            assert ctx.store.queue_replies(article, wire.id, f"https://wire.example/{article}")
        replies = {r.channel: r for r in ctx.store.replies.list_replies({}, status="skipped")}
    finally:
        ctx.close()
    gone, not_posted = replies["#news"], replies["#policy"]
    assert (gone.hold_reason, not_posted.hold_reason) == (
        HoldReason.THREAD_GONE,
        HoldReason.NOT_POSTED,
    )
    done = CliRunner().invoke(
        app, ["alerts", "retry", f"r{gone.id}", f"r{not_posted.id}", "-c", str(config)]
    )
    lines = {line.split(":")[0]: line for line in done.output.splitlines()}
    said_gone, said_held = lines[f"reply r{gone.id}"], lines[f"reply r{not_posted.id}"]
    assert "thread is gone" in said_gone and "not posted" not in said_gone, done.output
    assert "not posted" in said_held and "thread is gone" not in said_held, done.output
