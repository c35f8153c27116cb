"""One Slack channel written several ways in the configuration is one channel: each story gets
one post in it, and a spelling Slack cannot resolve (a blank) never reaches it. Real delivery
and slack_sdk client against the fake Slack on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from newsmon.alerts import route
from newsmon.corpus.records import AlertStatus, StoredMatch
from newsmon.pipeline import deliver
from tests.support.articles import new_article
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack

TOPICS = ["ai-safety", "open-source", "policy"]


def test_one_channel_written_three_ways_gets_one_post_per_story(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """` #a` was posted with its blank (Slack: channel_not_found, the channel blocked and its
    alerts stuck), and `a` and `#A` were two channels: a story of both topics was posted
    twice in #a."""
    channels = {"policy": " #a", "open-source": "a", "ai-safety": "#A"}
    ctx = context(config_path(tmp_path, db_url, channels=channels), fake)
    try:
        matches = [StoredMatch(t, 5, [{"term": "AI", "field": "title"}], "AI…") for t in TOPICS]
        article = new_article("https://a.example/story", "body", title="A story of three topics")
        ctx.store.add_article(article, matches, "v1", route(TOPICS, ctx.config.slack))
        outcome = deliver(ctx)
        assert (outcome.sent, outcome.blocked) == (1, {})
        assert [a.status for a in ctx.store.list_alerts()] == [AlertStatus.SENT]
        assert len(fake.top_level("#a")) == len(fake.posts) == 1
    finally:
        ctx.close()
