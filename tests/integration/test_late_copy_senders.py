"""A late copy (a teaser whose page, read at last, shows it to be a stored story) holds back its
alert where its story was announced, with the meaning `Outbox.enqueue_alert` and edits give
"announced" (`outbox.announcing`): the webhook has one channel, so a post through it announced
the story for the bot's channels too, and back. SQLite and PostgreSQL, the real store, CLI and
delivery (slack_sdk against the fake Slack on loopback)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.clock import utcnow
from newsmon.corpus.holds import LATE_COPY_NOTE
from newsmon.corpus.records import WEBHOOK_CHANNEL, AlertStatus, StoredMatch
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import deliver
from tests.integration.test_concurrent_corpus import stories
from tests.support.articles import new_article
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack

MATCHES = [StoredMatch("policy", 3, [], "snippet")]


def test_a_late_copy_does_not_post_again_in_the_bots_channel_a_story_the_webhook_posted(
    tmp_path: Path, fake: FakeSlack, db_url: str
) -> None:
    """H was posted through the webhook; the team moved to the bot token; R, stored from its
    teaser as another story, had its alert queued in #ai-news; R's page, read at last, showed
    R to be H's copy. R's alert stayed queued (only alerts of one channel spelling were
    compared) and the story was posted a second time; `newsmon alerts retry` re-queued it too."""
    config = config_path(tmp_path, db_url)
    full, other = stories()[:2]
    hook = context(config, fake, webhook=True)
    try:
        h = hook.store.add_article(
            new_article("https://h.example/s", full, signed=True, published_at=utcnow()),
            MATCHES,
            "v1",
            {WEBHOOK_CHANNEL: ["policy"]},
        )
        assert deliver(hook, 10).sent == 1
    finally:
        hook.close()
    bot = context(config, fake)
    alerts = {"#ai-news": ["policy"]}
    try:
        r_url = "https://r.example/s"
        r = bot.store.add_article(
            new_article(r_url, other, signed=True, text_source="feed", published_at=utcnow()),
            MATCHES,
            "v1",
            alerts,
        )
        assert r.alerts_queued == 1
        page = new_article(r_url, full, signed=True)
        assert bot.store.recover_page(r.id, other, page, MATCHES, "v1", alerts).joined
        with bot.store.session() as s:
            rows = {a.article_id: a for a in s.scalars(select(AlertRow))}
            h_alert, r_alert = rows[h.id].id, rows[r.id]
            assert (r_alert.status, r_alert.last_error) == (AlertStatus.SKIPPED, LATE_COPY_NOTE)
            r_id = r_alert.id
        done = CliRunner().invoke(app, ["alerts", "retry", str(r_id), "--config", str(config)])
        assert done.exit_code == 1, done.output  # named, it re-queued nothing
        assert f"announced in its channel by alert #{h_alert}" in done.output, done.output
        deliver(bot, 10)
        posts = fake.top_level()  # the webhook's post, and nothing in #ai-news
        assert [p["channel_id"] for p in posts] == [None], "the story posted again in #ai-news"
    finally:
        bot.close()
