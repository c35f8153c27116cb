"""`newsmon alerts retry` as a script or an operator in an incident uses it, on SQLite and
PostgreSQL, with the real CLI, store and delivery (slack_sdk against the fake Slack).

- With `alerts.enabled: false` a retry re-queued the alerts anyway and the next pass posted
  them, though the operator had turned alerts off; it now re-queues nothing and says so (exit 2).
- `retry ID… --failed` re-queued only the named ids that were failed (a skipped one named, none
  of the other failed ones), while the failed thread replies all went: now it is both, the named
  ids (whatever their status and age, as named ids are) and every failed alert and reply.
- An id that re-queued nothing (no such alert, sent, held back) exited 0, so a script could not
  tell: it now exits 1, after a line per such id and the summary.
- `--within 9999999d` crashed with a traceback; it is now a bad argument (exit 2).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.clock import utcnow
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, ArticleRow
from newsmon.pipeline import Context, deliver
from tests.support.articles import new_article
from tests.support.configs import write_config
from tests.support.delivery import FAST, MATCH, context
from tests.support.fake_slack import FakeSlack, Scripted

runner = CliRunner()
REFUSED = Scripted(200, {"ok": False, "error": "msg_too_long"})  # fails an alert at once


def _config(tmp_path: Path, db_url: str, **alerts: object) -> Path:
    return write_config(
        tmp_path, database_url=db_url, slack=FAST, alerts={"max_age_hours": 72, **alerts}
    )


def _failed_alerts(ctx: Context, slack: FakeSlack, ages: list[timedelta]) -> list[int]:
    """One story per age in #news, each alert failed (Slack refusing it) that long ago, and
    first seen then: their alert ids, in order."""
    now = utcnow()
    for i, age in enumerate(ages):
        ctx.store.add_article(
            new_article(
                f"https://n.example/{i}", f"story {i}", title=f"Story {i}", published_at=now - age
            ),
            [MATCH],
            "v1",
            {"#news": ["policy"]},
        )
    slack.channel_script["#news"] = [REFUSED] * len(ages)
    assert deliver(ctx, 10).failed == len(ages)
    with ctx.store.session() as s:
        rows = list(s.scalars(select(AlertRow).order_by(AlertRow.id)))
        for row, age in zip(rows, ages, strict=True):
            row.failed_at = now - age + timedelta(minutes=5)
            s.execute(
                update(ArticleRow)
                .where(ArticleRow.id == row.article_id)
                .values(first_seen_at=now - age)
            )
        return [row.id for row in rows]


def _statuses(ctx: Context) -> dict[int, AlertStatus]:
    with ctx.store.session() as s:
        return {a.id: a.status for a in s.scalars(select(AlertRow))}


def test_retry_with_alerts_off_requeues_nothing_and_says_so(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """An operator turned alerts off in an incident; a retry re-queued the failed alert and
    the next pass posted it."""
    config = _config(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        [failed] = _failed_alerts(ctx, slack, [timedelta(hours=1)])
    finally:
        ctx.close()
    _config(tmp_path, db_url, enabled=False)  # then the operator turns alerts off
    for args in (["--failed"], [str(failed)]):
        done = runner.invoke(app, ["alerts", "retry", *args, "--config", str(config)])
        assert done.exit_code == 2, done.output
        assert "alerts.enabled" in done.output, done.output
    ctx = context(config, slack)
    try:
        assert deliver(ctx, 10).sent == 0
        assert _statuses(ctx) == {failed: AlertStatus.FAILED}
    finally:
        ctx.close()
    assert slack.top_level("#news") == []


def test_ids_with_failed_requeue_the_named_ids_and_every_failed_alert(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """`retry OLD --failed`: the named old story goes (named ids go whatever their age), the
    other recent failure goes too (--failed), an unnamed old failure is held back."""
    config = _config(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        recent, old, old_named = _failed_alerts(
            ctx, slack, [timedelta(hours=1), timedelta(days=100), timedelta(days=90)]
        )
    finally:
        ctx.close()
    done = runner.invoke(
        app, ["alerts", "retry", str(old_named), "--failed", "--config", str(config)]
    )
    assert done.exit_code == 0, done.output
    assert "re-queued 2 alert(s)" in done.output, done.output
    assert f"newsmon alerts retry {old}`" in done.output, done.output
    ctx = context(config, slack)
    try:
        assert deliver(ctx, 10).sent == 2
        assert _statuses(ctx) == {
            recent: AlertStatus.SENT,
            old: AlertStatus.SKIPPED,
            old_named: AlertStatus.SENT,
        }
    finally:
        ctx.close()


def test_an_id_that_requeues_nothing_exits_1_with_a_line_for_it(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    config = _config(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        first, second = _failed_alerts(ctx, slack, [timedelta(hours=1), timedelta(hours=2)])
    finally:
        ctx.close()
    done = runner.invoke(app, ["alerts", "retry", str(first), "999", "--config", str(config)])
    assert done.exit_code == 1, done.output
    lines = done.output.splitlines()
    assert "alert #999: not re-queued, no such alert" in lines, lines
    assert "re-queued 1 alert(s)" in lines[-1], lines
    again = runner.invoke(app, ["alerts", "retry", str(first), "--config", str(config)])
    assert again.exit_code == 0, again.output  # pending, waiting: attempts start again
    every = runner.invoke(app, ["alerts", "retry", str(second), "--config", str(config)])
    assert every.exit_code == 0, every.output
    nothing = runner.invoke(app, ["alerts", "retry", "--failed", "--config", str(config)])
    assert nothing.exit_code == 0, nothing.output  # nothing failed: nothing to do, no error
    ctx = context(config, slack)
    try:
        assert deliver(ctx, 10).sent == 2
    finally:
        ctx.close()
    sent = runner.invoke(app, ["alerts", "retry", str(first), "--config", str(config)])
    assert sent.exit_code == 1, sent.output
    assert f"alert #{first}: not re-queued, sent" in sent.output, sent.output


def test_a_within_too_long_for_the_calendar_is_a_bad_argument(tmp_path: Path) -> None:
    config = write_config(tmp_path)  # refused before the corpus is opened
    for within in ("9999999d", "99999999999999999999d"):
        done = runner.invoke(
            app, ["alerts", "retry", "--failed", "--within", within, "--config", str(config)]
        )
        assert done.exit_code == 2, (within, done.output, done.exception)
        assert "--within" in done.output, done.output
