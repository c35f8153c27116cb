"""`backfill --alerts` sends only what was never sent: also after the team moved its Slack
delivery from the bot token to an incoming webhook (or back), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from newsmon.config import Config, Secrets
from newsmon.corpus import Store
from newsmon.corpus.records import WEBHOOK_CHANNEL, AlertStatus, StoredMatch
from newsmon.pipeline import Context, deliver, reclassify_batch
from newsmon.rules import load_rules
from tests.integration.test_backfill_overlap import EPOCH, RULES
from tests.support.articles import new_article
from tests.support.fake_slack import FakeSlack

TITLE = "FTC opens AI chips inquiry"
TEXT = "The FTC opened an inquiry; regulation of AI chips may follow."


def test_a_story_the_bot_announced_is_not_announced_again_through_a_webhook(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    rules = load_rules(rules_path)
    bot = Secrets(slack_bot_token=fake.token, slack_api_url=fake.api_url)
    webhook = Secrets(slack_webhook_url=fake.webhook_url)
    store = Store.open(db_url)
    try:
        match = [StoredMatch("policy", 3, [], "snippet")]
        store.add_article(
            new_article("https://a.example/s", TEXT, title=TITLE),
            match,
            rules.version,
            {"#ai-news": ["policy"]},
        )
        assert deliver(Context(Config(), rules, store, secrets=bot), 10).sent == 1

        # The team now posts through an incoming webhook; a backfill with alerts follows.
        ctx = Context(Config(), rules, store, secrets=webhook)
        rows = [r for batch in store.reclassify_batches(EPOCH, None) for r in batch]
        outcome = reclassify_batch(ctx, rows, queue_alerts=True)
        deliver(ctx, 10)

        assert len(fake.posts) == 1, "the story was posted again through the webhook"
        assert outcome.alerts_queued == 0
    finally:
        store.close()


def test_a_story_the_webhook_announced_is_not_announced_again_through_the_bot(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """The reverse move: the team posted through an incoming webhook, then went back to the
    bot token; a backfill with alerts re-posted every story of its range in #ai-news."""
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    rules = load_rules(rules_path)
    bot = Secrets(slack_bot_token=fake.token, slack_api_url=fake.api_url)
    webhook = Secrets(slack_webhook_url=fake.webhook_url)
    store = Store.open(db_url)
    try:
        match = [StoredMatch("policy", 3, [], "snippet")]
        store.add_article(
            new_article("https://a.example/s", TEXT, title=TITLE),
            match,
            rules.version,
            {WEBHOOK_CHANNEL: ["policy"]},
        )
        assert deliver(Context(Config(), rules, store, secrets=webhook), 10).sent == 1

        ctx = Context(Config(), rules, store, secrets=bot)
        rows = [r for batch in store.reclassify_batches(EPOCH, None) for r in batch]
        outcome = reclassify_batch(ctx, rows, queue_alerts=True)
        deliver(ctx, 10)

        assert len(fake.posts) == 1, "the story was posted again through the bot"
        assert outcome.alerts_queued == 0
    finally:
        store.close()


def test_a_story_held_back_under_the_webhook_is_announced_through_the_bot(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """What the webhook never sent (held back: too old when first seen) is announced by the
    bot when a backfill asks for alerts: only a live webhook alert counts as announced."""
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    rules = load_rules(rules_path)
    bot = Secrets(slack_bot_token=fake.token, slack_api_url=fake.api_url)
    store = Store.open(db_url)
    try:
        store.add_article(
            new_article("https://a.example/s", TEXT, title=TITLE),
            [StoredMatch("policy", 3, [], "snippet")],
            rules.version,
            {WEBHOOK_CHANNEL: ["policy"]},
            alert_status=AlertStatus.SKIPPED,
            alert_note="older than 24 h when first seen",
        )
        ctx = Context(Config(), rules, store, secrets=bot)
        rows = [r for batch in store.reclassify_batches(EPOCH, None) for r in batch]
        outcome = reclassify_batch(ctx, rows, queue_alerts=True)
        deliver(ctx, 10)

        assert outcome.alerts_queued == 1
        assert len(fake.top_level("#ai-news")) == 1
    finally:
        store.close()


def test_a_story_announced_under_a_channel_name_is_not_announced_again_under_its_id(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """The configuration now names the same Slack channel by its ID (README: "Channels may be
    configured by name or ID"): the alert sent under "#ai-news" announced the story there."""
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    rules = load_rules(rules_path)
    bot = Secrets(slack_bot_token=fake.token, slack_api_url=fake.api_url)
    store = Store.open(db_url)
    try:
        match = [StoredMatch("policy", 3, [], "snippet")]
        store.add_article(
            new_article("https://a.example/s", TEXT, title=TITLE),
            match,
            rules.version,
            {"#ai-news": ["policy"]},
        )
        by_name = Config.model_validate({"slack": {"default_channel": "#ai-news"}})
        assert deliver(Context(by_name, rules, store, secrets=bot), 10).sent == 1

        by_id = Config.model_validate({"slack": {"default_channel": fake.channel_id("ai-news")}})
        ctx = Context(by_id, rules, store, secrets=bot)
        rows = [r for batch in store.reclassify_batches(EPOCH, None) for r in batch]
        outcome = reclassify_batch(ctx, rows, queue_alerts=True)
        deliver(ctx, 10)

        assert len(fake.top_level("ai-news")) == 1, "the story was posted twice in #ai-news"
        assert outcome.alerts_queued == 0
    finally:
        store.close()
