"""Feeds whose pages never held article text, by their nature: links to JS app shells (X
posts, videos, forum threads) and a site of short briefs whose pages say what the feed says,
under the extractor's minimum. Through the real `monitor` flow on loopback, passes spread
across simulated days: every story is stored from its teaser, as it always was, so health
stays green and the operations channel is told nothing (a notice that never resolves is noise
the team learns to ignore). A brand-new feed says nothing about text either."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.devsite import SiteServer
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack
from tests.support.textless import FEED, TextlessSite, brief, notices, pass_on_day, shell

pytestmark = pytest.mark.usefixtures("prefect_harness")

OPS = "#newsmon-ops"


def _config(tmp_path: Path, site: SiteServer, db_url: str) -> Path:
    return write_config(
        tmp_path,
        feeds=[("links", FEED, "en")],
        base=site.base,
        database_url=db_url,
        default_channel="#n",
        slack={"ops_channel": OPS},
    )


@pytest.mark.parametrize("page", [shell, brief], ids=["js-shells", "short-briefs"])
def test_a_feed_whose_pages_never_held_text_keeps_health_green(
    tmp_path: Path,
    site: SiteServer,
    slack: FakeSlack,
    db_url: str,
    page: Callable[[int], str],
) -> None:
    feed = TextlessSite(site)
    config = _config(tmp_path, site, db_url)
    for days_ago in (20, 12, 3, 0):  # three weeks of it: 6 stories before the last 7 days, 6 in
        feed.publish(3, page)
        pass_on_day(config, db_url, days_ago)
    assert all(f"/news/story-{n}.html" in site.paths_requested() for n in range(12))

    health = CliRunner().invoke(app, ["health", "--config", str(config)])
    assert "pages_unread" not in health.output
    assert health.exit_code == 0, health.output
    assert notices(slack) == []


def test_a_new_feed_of_app_shells_says_nothing_about_text(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, db_url: str
) -> None:
    feed = TextlessSite(site)
    config = _config(tmp_path, site, db_url)
    feed.publish(6, shell)
    pass_on_day(config, db_url, 0)

    health = CliRunner().invoke(app, ["health", "--config", str(config)])
    assert "pages_unread" not in health.output
    assert health.exit_code == 0, health.output
    assert notices(slack) == []
