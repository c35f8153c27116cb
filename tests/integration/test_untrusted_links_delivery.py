"""A stranger's link, through the real store (SQLite and PostgreSQL), slack_sdk and the fake
Slack: a user part in a feed's link (``https://www.bbc.co.uk@evil.example/…``) is no part of
what Slack receives. It made an untitled story's link read as another site's, and a link's
``user:password`` was posted for the whole channel to read."""

from __future__ import annotations

from pathlib import Path

from newsmon.pipeline import deliver
from tests.support.articles import new_article
from tests.support.delivery import MATCH, config_path, context
from tests.support.fake_slack import FakeSlack
from tests.support.mrkdwn import render

CHANNEL = "#news"


def test_a_links_user_part_reaches_slack_neither_as_link_nor_as_text(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    ctx = context(config_path(tmp_path, db_url), fake)
    stories = {
        # untitled: the link is shown, and it read "www.bbc.co.uk"
        "https://www.bbc.co.uk@evil.example/world-123": (None, "https://evil.example/world-123"),
        "https://reader:hunter2@paywalled.example/a?id=7": (
            "A story",
            "https://paywalled.example/a?id=7",
        ),
    }
    try:
        for n, (link, (title, _)) in enumerate(stories.items()):
            ctx.store.add_article(
                new_article(link, f"body {n}", title=title), [MATCH], "v1", {CHANNEL: ["policy"]}
            )
        assert deliver(ctx).sent == len(stories)
        posts = fake.top_level(CHANNEL)
        assert len(posts) == len(stories)
        links = [r.link for p in posts for r in render(p["blocks"][0]["text"]["text"]) if r.link]
        assert sorted(links) == sorted(want for _, want in stories.values())
        sent = repr(posts)
        assert "bbc.co.uk" not in sent and "hunter2" not in sent and "reader" not in sent
        untitled = next(p for p in posts if "evil.example" in p["text"])
        assert [r.text for r in render(untitled["blocks"][0]["text"]["text"]) if r.link] == [
            "https://evil.example/world-123"
        ]
    finally:
        ctx.close()
