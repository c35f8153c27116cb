"""The operations channel itself refused by Slack (the bot not invited, the channel archived or
renamed), through the real `monitor` flow, the sample site on loopback and the fake Slack: the
notices it owes cannot go out, and without a health problem of its own nobody hears it — the
team believes it would be told of an outage while it never will. It must keep `newsmon health`
red, naming the channel and Slack's reason, until a notice posts there again; the notices held
meanwhile are then posted, in order, none lost and none twice."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from flows.monitor import monitor
from sqlalchemy import update
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.corpus.schema import SlackChannelRow
from newsmon.devsite import SiteServer
from newsmon.health import ProblemKind
from tests.flows.test_ops_notices_flow import CHANNELS, FLAKY, OPS, backdate_feed, notices
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack, Scripted
from tests.support.notices import age_absences

pytestmark = pytest.mark.usefixtures("prefect_harness")


def health(config: Path) -> tuple[int, list[dict[str, Any]]]:
    """`newsmon health --json`: its exit code and its problems."""
    result = CliRunner().invoke(app, ["health", "--config", str(config), "--json"])
    return result.exit_code, json.loads(result.output)["problems"]


def _wait_over(config: Path) -> None:
    """The wait Slack asked of the ops channel (Retry-After, kept for it) is over."""
    store = Store.open(load_config(config).database_url)
    try:
        with store.session() as s:
            s.execute(update(SlackChannelRow).values(wait_until=None))
    finally:
        store.close()


def of_kind(problems: list[dict[str, Any]], kind: ProblemKind) -> list[dict[str, Any]]:
    return [p for p in problems if p["kind"] == kind.value]


def test_an_ops_channel_slack_refuses_keeps_health_red_until_a_notice_posts_there(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    slack.not_in_channels.add(OPS)  # the bot was never invited to the operations channel
    site.routes[FLAKY] = {"status": 503, "body": "down"}
    config = write_config(
        tmp_path,
        feeds=[("frontier-wire", "/feeds/en-ai.atom", "en"), ("flaky-ko", FLAKY)],
        base=site.base,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": OPS},
        database_url=db_url,
    )
    asyncio.run(monitor(config_path=str(config), force=True))
    backdate_feed(config, "flaky-ko", days=2)
    asyncio.run(monitor(config_path=str(config), force=True))  # feed_failing: its notice refused
    assert notices(slack) == []
    code, problems = health(config)
    [refused] = of_kind(problems, ProblemKind.OPS_CHANNEL_REFUSED)
    assert code == 1 and refused["subject"] == OPS
    assert "not_in_channel" in refused["message"] and "slack.ops_channel" in refused["message"]

    del site.routes[FLAKY]  # the feed is back: two passes resolve it, still unheard
    for _ in range(2):
        asyncio.run(monitor(config_path=str(config), force=True))
        age_absences(config)  # the next pass is the schedule's, not one seconds later
    code, problems = health(config)
    assert [p["kind"] for p in problems] == [ProblemKind.OPS_CHANNEL_REFUSED.value]
    assert code == 1  # before: healthy, while the channel had heard nothing at all

    slack.not_in_channels.clear()  # the bot is invited
    asyncio.run(monitor(config_path=str(config), force=True))
    opened, resolved = notices(slack)  # held, not lost: in order, the reply in its thread
    assert "*feed failing* — flaky-ko" in opened["blocks"][0]["text"]["text"]
    assert resolved["thread_ts"] == opened["ts"]
    assert all("operations channel" not in p["blocks"][0]["text"]["text"] for p in notices(slack))
    assert health(config) == (0, [])
    asyncio.run(monitor(config_path=str(config), force=True))
    assert len(notices(slack)) == 2  # and nothing more about it


def test_an_ops_channel_slack_fails_for_now_is_no_such_problem(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """A rate limit (like a 5xx) heals by itself: the notice waits for the next pass, as
    before, and health says nothing of the channel."""
    config = write_config(
        tmp_path,
        feeds=[("frontier-wire", "/feeds/en-ai.atom", "en"), ("flaky-ko", FLAKY)],
        base=site.base,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": OPS},
    )
    site.routes[FLAKY] = {"status": 503, "body": "down"}
    asyncio.run(monitor(config_path=str(config), force=True))
    backdate_feed(config, "flaky-ko", days=2)
    slack.channel_script[OPS] = [
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "600"})
    ]
    asyncio.run(monitor(config_path=str(config), force=True))
    assert notices(slack) == []
    _, problems = health(config)
    assert of_kind(problems, ProblemKind.OPS_CHANNEL_REFUSED) == []
    _wait_over(config)  # the ten minutes Slack asked for: no pass posts before
    asyncio.run(monitor(config_path=str(config), force=True))
    assert len(notices(slack)) == 1
