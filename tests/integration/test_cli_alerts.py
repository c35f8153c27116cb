"""`newsmon alerts` and `newsmon alerts retry` on a corpus whose delivery met a blocked channel
and a message Slack refuses for good (the fake Slack on loopback; no Prefect needed)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import deliver
from tests.support.delivery import config_path, context, queue_alerts
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
        slack.channel_script["#ok"] = [Scripted(200, {"ok": False, "error": "invalid_blocks"})]
        outcome = deliver(ctx)
        assert outcome.sent == 1 and outcome.failed == 1
    finally:
        ctx.close()

    listed = runner.invoke(app, ["alerts", "--config", str(config)])
    assert listed.exit_code == 0, listed.output
    assert "channel #stuck blocked since" in listed.output and "not_in_channel" in listed.output
    assert "invalid_blocks" in listed.output and "KST" in listed.output

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
