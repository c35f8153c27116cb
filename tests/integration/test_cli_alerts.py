"""`newsmon alerts` and `newsmon alerts retry` on a corpus whose delivery met a blocked channel
and a message Slack refuses for good (the fake Slack on loopback; no Prefect needed)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import deliver
from tests.support.articles import new_article
from tests.support.delivery import MATCH, config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

runner = CliRunner()


def test_alerts_list_shows_blocked_channels_failures_and_retry_requeues(
    tmp_path: Path, slack: FakeSlack
) -> None:
    config = config_path(tmp_path, f"sqlite:///{tmp_path / 'corpus.db'}")
    ctx = context(config, slack)
    try:
        queue_alerts(ctx.store, {"#stuck": 2, "#ok": 2})
        slack.not_in_channels.add("#stuck")
        slack.channel_script["#ok"] = [Scripted(200, {"ok": False, "error": "msg_too_long"})]
        outcome = deliver(ctx)
        assert outcome.sent == 1 and outcome.failed == 1
    finally:
        ctx.close()

    listed = runner.invoke(app, ["alerts", "--config", str(config)])
    assert listed.exit_code == 0, listed.output
    assert "channel #stuck blocked since" in listed.output and "not_in_channel" in listed.output
    assert "msg_too_long" in listed.output and "KST" in listed.output

    blocked = runner.invoke(app, ["alerts", "--status", "blocked", "--config", str(config)])
    assert blocked.output.count("blocked (") == 2 and "#ok" not in blocked.output.split("\n", 1)[1]

    failed = runner.invoke(app, ["alerts", "--status", "failed", "--config", str(config)])
    [line] = [x for x in failed.output.splitlines() if x.startswith("#")]
    alert_id = line.split()[0].lstrip("#")
    assert "failed" in line and "attempts 1" in line

    bad = runner.invoke(app, ["alerts", "--status", "lost", "--config", str(config)])
    assert bad.exit_code == 2 and "--status wants one of" in bad.output

    retried = runner.invoke(app, ["alerts", "retry", alert_id, "--config", str(config)])
    assert retried.exit_code == 0 and "re-queued 1 alert(s)" in retried.output
    ctx = context(config, slack)
    try:
        assert ctx.store.count_alerts(AlertStatus.FAILED) == 0
        again = deliver(ctx)  # the message is accepted now; #stuck is probed and still refused
        assert again.sent == 1 and "#stuck" in again.blocked
    finally:
        ctx.close()
    none = runner.invoke(app, ["alerts", "retry", "--config", str(config)])
    assert none.exit_code == 2 and "--failed" in none.output


def test_an_alert_slack_refuses_for_good_is_a_health_problem_for_a_day(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """Slack refusing one message (`msg_too_long`) fails it at once: its story is never
    posted, and `newsmon health` says so, naming the channel and the command to re-queue it,
    until it is re-queued or a day has passed. A held-back alert (too old) is no failure."""
    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    try:
        queue_alerts(ctx.store, {"#ok": 2, "#news": 1})
        ctx.store.add_article(
            new_article("https://old.example/1", "an old story"),
            [MATCH],
            "v1",
            {"#news": ["policy"]},
            AlertStatus.SKIPPED,
            Hold(HoldReason.TOO_OLD, "older than 48 h when first seen"),
        )
        slack.channel_script["#ok"] = [Scripted(200, {"ok": False, "error": "msg_too_long"})]
        outcome = deliver(ctx)
        assert outcome.sent == 2 and outcome.failed == 1
    finally:
        ctx.close()

    [problem] = alerts_failed(config)
    assert "1 alert(s)" in problem["message"] and "#ok 1" in problem["message"]
    assert "#news" not in problem["message"]
    assert "`newsmon alerts retry --failed --within 24h`" in problem["message"]

    ctx = context(config, slack)
    try:  # a day and an hour later
        with ctx.store.session() as s:
            failed = s.scalars(select(AlertRow).where(AlertRow.status == AlertStatus.FAILED))
            for row in failed:
                assert row.failed_at is not None
                row.failed_at -= timedelta(hours=25)
    finally:
        ctx.close()
    assert alerts_failed(config) == []
    # re-queued only when asked for that far back: an outage's alerts, not last year's
    for within, count in (("24h", 0), ("2d", 1), ("2d", 0)):
        args = ["alerts", "retry", "--failed", "--within", within, "--config", str(config)]
        done = runner.invoke(app, args)
        assert done.exit_code == 0 and f"re-queued {count} alert(s)" in done.output, done.output
    bad = runner.invoke(
        app, ["alerts", "retry", "--failed", "--within", "soon", "--config", str(config)]
    )
    assert bad.exit_code == 2 and "--within" in bad.output


def alerts_failed(config: Path) -> list[dict[str, Any]]:
    """The `alerts_failed` problems `newsmon health --json` reports (there is no pass yet)."""
    result = runner.invoke(app, ["health", "--config", str(config), "--json"])
    problems: list[dict[str, Any]] = json.loads(result.output)["problems"]
    return [p for p in problems if p["kind"] == "alerts_failed"]
