"""`backfill --alerts` sends only what was never sent: also after the team moved its Slack
delivery from the bot token to an incoming webhook (or back), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from newsmon.clock import utcnow
from newsmon.config import Config, Secrets
from newsmon.corpus import Store
from newsmon.corpus.holds import Hold, HoldReason
from newsmon.corpus.records import WEBHOOK_CHANNEL, AlertStatus, StoredMatch
from newsmon.pipeline import Context, ReclassifyOutcome, deliver, reclassify_batch
from newsmon.report import BackfillResult
from newsmon.rules import Rules, load_rules
from tests.integration.test_backfill_overlap import EPOCH, RULES
from tests.support.articles import new_article
from tests.support.fake_slack import FakeSlack

TITLE = "FTC opens AI chips inquiry"
TEXT = "The FTC opened an inquiry; regulation of AI chips may follow."


def _rules(tmp_path: Path) -> Rules:
    path = tmp_path / "topics.yaml"
    path.write_text(RULES, encoding="utf-8")
    return load_rules(path)


def _bot(fake: FakeSlack) -> Secrets:
    return Secrets(slack_bot_token=fake.token, slack_api_url=fake.api_url)


def _story(store: Store, rules: Rules, channel: str, **alert: Any) -> None:
    """One policy story, its alert queued (or, with `alert_status`, held) for `channel`."""
    store.add_article(
        new_article("https://a.example/s", TEXT, title=TITLE),
        [StoredMatch("policy", 3, [], "snippet")],
        rules.version,
        {channel: ["policy"]},
        **alert,
    )


def _backfill_with_alerts(ctx: Context, *, any_age: bool = False) -> ReclassifyOutcome:
    """`backfill --alerts` (`--any-age`) over the whole corpus, then a delivery."""
    rows = [r for batch in ctx.store.reclassify_batches(EPOCH, None) for r in batch]
    outcome = reclassify_batch(ctx, rows, queue_alerts=True, any_age=any_age)
    deliver(ctx, 10)
    return outcome


def test_a_story_the_bot_announced_is_not_announced_again_through_a_webhook(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    rules = _rules(tmp_path)
    webhook = Secrets(slack_webhook_url=fake.webhook_url)
    store = Store.open(db_url)
    try:
        _story(store, rules, "#ai-news")
        assert deliver(Context(Config(), rules, store, secrets=_bot(fake)), 10).sent == 1

        # The team now posts through an incoming webhook; a backfill with alerts follows.
        outcome = _backfill_with_alerts(Context(Config(), rules, store, secrets=webhook))

        assert len(fake.posts) == 1, "the story was posted again through the webhook"
        assert outcome.alerts_queued == 0
    finally:
        store.close()


def test_a_story_the_webhook_announced_is_not_announced_again_through_the_bot(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """The reverse move: the team posted through an incoming webhook, then went back to the
    bot token; a backfill with alerts re-posted every story of its range in #ai-news."""
    rules = _rules(tmp_path)
    webhook = Secrets(slack_webhook_url=fake.webhook_url)
    store = Store.open(db_url)
    try:
        _story(store, rules, WEBHOOK_CHANNEL)
        assert deliver(Context(Config(), rules, store, secrets=webhook), 10).sent == 1

        outcome = _backfill_with_alerts(Context(Config(), rules, store, secrets=_bot(fake)))

        assert len(fake.posts) == 1, "the story was posted again through the bot"
        assert outcome.alerts_queued == 0
    finally:
        store.close()


def test_a_story_held_back_under_the_webhook_is_announced_through_the_bot(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """What the webhook never sent (held back: too old when first seen) is announced by the
    bot when a backfill asks for alerts: only a live webhook alert counts as announced."""
    rules = _rules(tmp_path)
    store = Store.open(db_url)
    try:
        _story(
            store,
            rules,
            WEBHOOK_CHANNEL,
            alert_status=AlertStatus.SKIPPED,
            alert_hold=Hold(HoldReason.TOO_OLD, "older than 24 h when first seen"),
        )
        bot = Context(Config(), rules, store, secrets=_bot(fake))
        outcome = _backfill_with_alerts(bot, any_age=True)  # the stories are months old

        assert outcome.alerts_queued == 1
        assert len(fake.top_level("#ai-news")) == 1
    finally:
        store.close()


def test_a_story_announced_under_a_channel_name_is_not_announced_again_under_its_id(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """The configuration now names the same Slack channel by its ID (README: "Channels may be
    configured by name or ID"): the alert sent under "#ai-news" announced the story there."""
    rules = _rules(tmp_path)
    store = Store.open(db_url)
    try:
        _story(store, rules, "#ai-news")
        by_name = Config.model_validate({"slack": {"default_channel": "#ai-news"}})
        assert deliver(Context(by_name, rules, store, secrets=_bot(fake)), 10).sent == 1

        by_id = Config.model_validate({"slack": {"default_channel": fake.channel_id("ai-news")}})
        outcome = _backfill_with_alerts(Context(by_id, rules, store, secrets=_bot(fake)))

        assert len(fake.top_level("ai-news")) == 1, "the story was posted twice in #ai-news"
        assert outcome.alerts_queued == 0
    finally:
        store.close()


def test_a_backfill_with_alerts_holds_back_stories_too_old_unless_asked(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """After a rule change, `backfill --alerts` over a long range revived every alert held
    back in it, those of months-old stories too (held back as too old when first seen), and
    posted them to the team as news. Now a story older than `alerts.max_age_hours` stays
    held, counted apart (`alerts_too_old`); asked for (`any_age`, `--any-age`), it is sent."""
    rules = _rules(tmp_path)
    now = utcnow()
    store = Store.open(db_url)
    try:
        for name, age in (("old", timedelta(days=40)), ("fresh", timedelta(hours=2))):
            store.add_article(
                new_article(f"https://a.example/{name}", TEXT, title=name, published_at=now - age),
                [StoredMatch("policy", 3, [], "snippet")],
                rules.version,
                {"#ai-news": ["policy"]},
                alert_status=AlertStatus.SKIPPED,
                alert_hold=Hold(HoldReason.RULES_CHANGED, "the topic rules no longer match"),
            )
        ctx = Context(Config(), rules, store, secrets=_bot(fake))
        outcome = _backfill_with_alerts(ctx)
        assert all("fresh" in str(p) for p in fake.top_level("#ai-news"))
        assert len(fake.top_level("#ai-news")) == 1, "a 40-day-old story was posted as news"
        assert (outcome.alerts_queued, outcome.alerts_too_old) == (1, 1)
        said = BackfillResult(EPOCH.date(), None, rules.version, outcome).cli_lines()[-1]
        assert "1 alert left held back: stories older than alerts.max_age_hours" in said
        assert "--any-age" in said

        rows = [r for batch in ctx.store.reclassify_batches(EPOCH, None) for r in batch]
        asked = reclassify_batch(ctx, rows, queue_alerts=True, any_age=True)
        assert (asked.alerts_queued, asked.alerts_too_old) == (1, 0)
        deliver(ctx, 10)
        assert len(fake.top_level("#ai-news")) == 2
    finally:
        store.close()
