"""A site whose pages all answer 200 and hold no article text newsmon can find (a redesign
that moved the story into a script, a consent wall served as the page): through the real
`monitor` flow, the sample site on loopback and the fake Slack. Every story is stored from its
feed's teaser and classified on a line or two; the pass completes, the feed works, so nothing
else would ever say so: `newsmon health` reports `pages_unread` and the operations channel is
told once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from flows.monitor import monitor
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.devsite import SiteServer
from newsmon.notices import NOTICE_EVENT
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")

OPS = "#newsmon-ops"
CHANNELS = {"open-source": "#ai-open-source", "ai-safety": "#ai-safety", "policy": "#ai-policy"}
FEED = "/feeds/redesigned.xml"
STORIES = 6
# what the redesigned site serves for every article: a shell its script fills in
SHELL = (
    "<!doctype html><html><head><title>Example News</title></head><body>"
    '<div id="root"></div><script src="/static/app.js"></script></body></html>'
)


def redesigned(site: SiteServer) -> None:
    """The site's feed, as before the redesign, and its pages, as after it."""
    items = []
    for n in range(STORIES):
        path = f"/news/story-{n}.html"
        site.routes[path] = {"body": SHELL, "content_type": "text/html; charset=utf-8"}
        items.append(
            f"<item><title>Lab {n} publishes model weights under an open license</title>"
            f"<link>{site.url(path)}</link><guid>{site.url(path)}</guid>"
            f"<pubDate>Mon, 01 Dec 2025 0{n}:00:00 +0000</pubDate>"
            f"<description>Lab {n} released weights today.</description></item>"
        )
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Example News</title><link>{site.url('/')}</link>"
        f"<description>news</description>{''.join(items)}</channel></rss>"
    )
    site.routes[FEED] = {"body": rss, "content_type": "application/rss+xml; charset=utf-8"}


def notices(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in slack.posts if (p.get("metadata") or {}).get("event_type") == NOTICE_EVENT]


def test_pages_that_hold_no_article_text_are_reported_not_a_quiet_week(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    redesigned(site)
    config = write_config(
        tmp_path,
        feeds=[("example-news", FEED, "en")],
        base=site.base,
        channels=CHANNELS,
        default_channel="#n",
        slack={"ops_channel": OPS},
    )
    result = asyncio.run(monitor(config_path=str(config), force=True))
    assert result.feeds_ok == 1 and result.feeds_failed == 0  # the feed itself works
    assert all(f"/news/story-{n}.html" in site.paths_requested() for n in range(STORIES))

    health = CliRunner().invoke(app, ["health", "--config", str(config)])
    assert health.exit_code == 1, health.output
    assert f"pages_unread: example-news: {STORIES} of its {STORIES} articles" in health.output
    assert "page had no article text" in health.output  # the newest reason

    [notice] = notices(slack)
    text = notice["blocks"][0]["text"]["text"]
    assert "*article pages cannot be read* — example-news" in text
