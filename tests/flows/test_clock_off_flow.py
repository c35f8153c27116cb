"""A host clock days off (a VM resumed from a snapshot, NTP blocked): through the real `monitor`
flow, the sample site on loopback and the fake Slack. With the clock four days ahead every
story looks older than the alert age limit (72 h) and is held back as too old; the passes
complete, the feeds work, the channels go quiet. The sites' `Date` headers tell the true time:
`newsmon health` reports `clock_off` and the operations channel is told."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from flows.monitor import monitor
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.clock import utcnow
from newsmon.devsite import SiteServer
from newsmon.notices import NOTICE_EVENT
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

OPS = "#newsmon-ops"
CHANNELS = {"open-source": "#ai-open-source", "ai-safety": "#ai-safety", "policy": "#ai-policy"}
FEEDS = [
    ("frontier-wire", "/feeds/en-ai.atom", "en"),
    ("en-wire", "/feeds/en-wire.xml", "en"),
    ("ko-ai", "/feeds/ko-ai.xml", "ko"),
]


def notices(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in slack.posts if (p.get("metadata") or {}).get("event_type") == NOTICE_EVENT]


def sites_clock(monkeypatch: pytest.MonkeyPatch, behind: timedelta) -> None:
    """The site's server states in its `Date` header a time `behind` the host's: the host's
    clock is that far ahead of it."""

    def stated(self: BaseHTTPRequestHandler, timestamp: float | None = None) -> str:
        return format_datetime(utcnow() - behind, usegmt=True)

    monkeypatch.setattr(BaseHTTPRequestHandler, "date_time_string", stated)


def config_for(tmp_path: Path, site: SiteServer) -> Path:
    return write_config(
        tmp_path,
        feeds=FEEDS,
        base=site.base,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": OPS},
    )


def test_a_host_clock_days_ahead_of_the_sites_is_reported(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites_clock(monkeypatch, timedelta(days=4))
    config = config_for(tmp_path, site)
    result = asyncio.run(monitor(config_path=str(config), force=True))
    assert result.feeds_ok == 3 and result.feeds_failed == 0

    health = CliRunner().invoke(app, ["health", "--config", str(config)])
    assert health.exit_code == 1, health.output
    assert "clock_off: this host's clock is 4 days ahead of the sites'" in health.output
    [notice] = [n for n in notices(slack) if "clock" in n["blocks"][0]["text"]["text"]]
    assert "*this host's clock is off*" in notice["blocks"][0]["text"]["text"]


def test_sites_a_few_minutes_off_say_nothing(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites_clock(monkeypatch, timedelta(minutes=10))
    config = config_for(tmp_path, site)
    asyncio.run(monitor(config_path=str(config), force=True))
    health = CliRunner().invoke(app, ["health", "--config", str(config)])
    assert "clock_off" not in health.output
