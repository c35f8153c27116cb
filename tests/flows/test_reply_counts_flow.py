"""A pass's counts of failed alerts and failed thread replies, apart: the real `monitor` flow
against the fake Slack, with the real slack_sdk.

The pass summary's "N failed" (the log line, the `monitor-summary` artifact's description, the
stored run summary's `alerts_failed`) added the thread replies that failed to the alerts that
did: an operator reading "1 failed" looked for a failed alert, and `newsmon alerts --status
failed` listed none. Replies now count in `replies_failed`; `alerts_failed` is alerts only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from flows.monitor import monitor
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus import Store
from tests.flows.test_monitor_flow import stored_runs
from tests.support.configs import write_config
from tests.support.delivery import queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

pytestmark = pytest.mark.usefixtures("prefect_harness")

runner = CliRunner()
# Slack refuses the reply for the message itself: failed at once, no retry
REFUSED = Scripted(200, {"ok": False, "error": "msg_too_long"})


def listed(config: Path, status: str) -> tuple[list[str], list[str]]:
    """`newsmon alerts --status …`: (alert lines, thread-reply lines)."""
    result = runner.invoke(app, ["alerts", "--status", status, "--config", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    return [x for x in lines if x.startswith("#")], [x for x in lines if x.startswith("reply r")]


def test_a_failed_thread_reply_is_not_counted_as_a_failed_alert(
    tmp_path: Path, slack: FakeSlack
) -> None:
    config = write_config(tmp_path, default_channel="#news")
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        [article] = queue_alerts(store, {"#news": 1})
        wire = store.sync_feed("wire-copy", "https://wire.example/feed.xml", "en")
        assert store.queue_replies(article, wire.id, "https://wire.example/copy") == 1
    finally:
        store.close()
    slack.channel_script["#news"] = [None, REFUSED]  # the alert goes out, its reply is refused

    totals = asyncio.run(monitor(config_path=str(config)))

    assert totals.alerts_sent == 1
    assert totals.alerts_failed == 0, totals.line()
    assert totals.replies_failed == 1
    assert "alerts: 1 sent via slack, 0 failed, 0 pending" in totals.line()
    assert "thread replies: 0 sent, 1 failed" in totals.line()
    [(_, summary)] = stored_runs(tmp_path / "corpus.db")
    assert (summary["alerts_failed"], summary["replies_failed"]) == (0, 1)
    failed_alerts, failed_replies = listed(config, "failed")
    assert (len(failed_alerts), len(failed_replies)) == (0, 1)
