"""A site whose pages all answer 200 and hold no article text newsmon can find (a redesign
that moved the story into a script, a consent wall served as the page) after weeks of pages
read: through the real `monitor` flow, passes spread across simulated days, the sample site on
loopback and the fake Slack. Every new story is stored from its feed's teaser and classified on
a line or two; the pass completes, the feed works, so nothing else would ever say so: `newsmon
health` reports `pages_unread` and the operations channel is told once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.devsite import SiteServer
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack
from tests.support.textless import FEED, TextlessSite, article, notices, pass_on_day, shell

pytestmark = pytest.mark.usefixtures("prefect_harness")

OPS = "#newsmon-ops"
CHANNELS = {"open-source": "#ai-open-source", "ai-safety": "#ai-safety", "policy": "#ai-policy"}


def test_pages_that_hold_no_article_text_are_reported_not_a_quiet_week(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    feed = TextlessSite(site)
    config = write_config(
        tmp_path,
        feeds=[("example-news", FEED, "en")],
        base=site.base,
        database_url=db_url,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": OPS},
    )
    for days_ago in (20, 12):  # before the redesign: its pages are read
        feed.publish(3, article)
        pass_on_day(config, db_url, days_ago)
    for days_ago in (3, 0):  # after it: every new page is a shell its script fills in
        feed.publish(3, shell)
        pass_on_day(config, db_url, days_ago)
    assert all(f"/news/story-{n}.html" in site.paths_requested() for n in range(12))

    health = CliRunner().invoke(app, ["health", "--config", str(config)])
    assert health.exit_code == 1, health.output
    assert "pages_unread: example-news: 6 of its 6 articles" in health.output
    assert "page had no article text" in health.output  # the newest reason

    [notice] = notices(slack)
    text = notice["blocks"][0]["text"]["text"]
    assert "*article pages cannot be read* — example-news" in text
