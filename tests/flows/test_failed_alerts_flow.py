"""Alerts that gave up, as operators see them: the real `monitor` flow against the sample site
and the fake Slack through an outage long enough for every queued alert to use up its tries.
Those stories were never posted; `newsmon health` and the operations channel must say so until
they are re-queued and sent (or age out of `ALERTS_FAILED_WINDOW`)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from flows.monitor import monitor
from typer.testing import CliRunner

from newsmon.cli import EXIT_UNHEALTHY, app
from newsmon.devsite import SiteServer
from newsmon.notices import NOTICE_EVENT
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack, Scripted
from tests.support.notices import age_absences

pytestmark = pytest.mark.usefixtures("prefect_harness")

runner = CliRunner()
OPS = "#newsmon-ops"
CHANNELS = {"open-source": "#ai-open-source", "ai-safety": "#ai-safety", "policy": "#ai-policy"}
SLACK_DOWN = Scripted(503, {"ok": False, "error": "service_unavailable"})


def notices(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in slack.posts if (p.get("metadata") or {}).get("event_type") == NOTICE_EVENT]


def health(config: Path) -> tuple[int, list[dict[str, Any]]]:
    result = runner.invoke(app, ["health", "--config", str(config), "--json"])
    problems: list[dict[str, Any]] = json.loads(result.output)["problems"]
    return result.exit_code, problems


def test_alerts_that_gave_up_in_an_outage_keep_health_red_until_they_are_sent(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """Slack down through every try of the queued alerts (two here; seven over 7.5 hours as
    shipped): they end `failed`, the next pass finds nothing pending and completes, and health
    said healthy — while the stories were never posted."""
    config = write_config(
        tmp_path,
        feeds=[("frontier-wire", "/feeds/en-ai.atom", "en")],
        base=site.base,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": OPS, "retry_delays_minutes": [0.0], "stop_after_failures": 1000},
    )
    for channel in [*CHANNELS.values(), "#n", OPS]:  # they exist in the workspace
        slack.channel_id(channel)
    slack.outage = SLACK_DOWN
    first = asyncio.run(monitor(config_path=str(config)))
    queued = first.alerts_pending
    assert first.alerts_sent == 0 and queued > 0
    second = asyncio.run(monitor(config_path=str(config)))  # each alert's last try
    assert second.alerts_sent == 0 and second.alerts_pending == 0

    slack.outage = None  # Slack is back: nothing is pending, the pass completes
    third = asyncio.run(monitor(config_path=str(config)))
    assert third.alerts_sent == 0 and third.alerts_pending == 0
    code, problems = health(config)
    assert code == EXIT_UNHEALTHY, problems
    [problem] = problems
    assert problem["kind"] == "alerts_failed"
    assert problem["message"].startswith(f"{queued} alert(s) gave up in the last 24 h")
    assert "`newsmon alerts retry --failed --within 24h`" in problem["message"]
    assert all(c in problem["message"] for c in {p["channel"] for p in alert_rows(config)})
    [opened] = notices(slack)  # announced once, when Slack took posts again
    assert opened["channel_id"] == slack.channel_id(OPS)
    assert "newsmon alerts retry --failed" in opened["blocks"][0]["text"]["text"]
    asyncio.run(monitor(config_path=str(config)))
    assert len(notices(slack)) == 1  # still failed: nothing more

    retried = runner.invoke(app, ["alerts", "retry", "--failed", "--config", str(config)])
    assert retried.exit_code == 0 and f"re-queued {queued} alert(s)" in retried.output
    sent = asyncio.run(monitor(config_path=str(config)))
    assert sent.alerts_sent == queued
    assert health(config) == (0, [])
    age_absences(config)  # the next pass is the schedule's, not one seconds later
    asyncio.run(monitor(config_path=str(config)))  # the second pass without it: resolved
    [_, resolved] = notices(slack)
    assert resolved["thread_ts"] == opened["ts"]
    assert resolved["blocks"][0]["text"]["text"].startswith(":white_check_mark:")


def alert_rows(config: Path) -> list[dict[str, Any]]:
    """The failed alerts as `newsmon alerts --status failed` lists them: id, status, channel."""
    result = runner.invoke(app, ["alerts", "--status", "failed", "--config", str(config)])
    rows = [line.split() for line in result.output.splitlines() if line.startswith("#")]
    return [{"id": r[0], "status": r[1], "channel": r[2]} for r in rows]
