"""A backfill reaches, for each story (cluster), the decision the monitor would reach with the
new rules: the first article of the story that matches speaks for it (its head, else the
first copy that matches), the story is announced once per channel, and the dry run shows
what the real run does. On SQLite and PostgreSQL, with a real delivery to a fake Slack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from newsmon import alerts as alerting
from newsmon.config import Config, Secrets
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import (
    Context,
    ReclassifyOutcome,
    deliver,
    preview_reclassify,
    reclassify_batch,
    to_stored,
)
from newsmon.report import BackfillResult
from newsmon.rules import Rules, load_rules
from tests.integration.test_backfill_overlap import EPOCH
from tests.support.articles import new_article
from tests.support.fake_slack import FakeSlack

BODY = " ".join(f"The agency published its chip export review, part {i}." for i in range(12))
HEAD = ("Export controls: the chip review is out", BODY + " Export controls tighten.")
COPY = ("FTC weighs the chip export review", BODY + " The FTC may act.")


def rules_with(tmp_path: Path, name: str, *terms: str) -> Rules:
    """Rules whose one topic, policy, matches these terms."""
    path = tmp_path / f"{name}.yaml"
    quoted = ", ".join(f'"{t}"' for t in terms)
    path.write_text(f"version: 2\ntopics:\n  policy:\n    terms: {{en: [{quoted}]}}\n")
    return load_rules(path)


MATCHES_NOTHING = ("regulation",)
MATCHES_THE_COPY = ("FTC",)  # the copy's headline and text, not the head's
MATCHES_THE_HEAD = ("export controls",)  # the head's text, not the copy's
MATCHES_BOTH = ("chip export review",)


@dataclass(frozen=True)
class Story:
    head: int
    copy: int


def store_story(store: Store, rules: Rules, config: Config) -> Story:
    """The head, then a copy from another outlet, stored as the monitor stores them under
    `rules`: matches and alerts for whoever speaks (`add_article` decides)."""
    ids = []
    for url, (title, text) in (("https://wire.example/1", HEAD), ("https://copy.example/1", COPY)):
        matches = rules.classify(title, text)
        routed = alerting.route((m.topic for m in matches), config.slack)
        article = new_article(url, text, title=title, signed=True)
        ids.append(store.add_article(article, to_stored(matches), rules.version, routed).id)
    cluster = store.cluster(ids[1])
    assert cluster is not None and cluster.members[0].id == ids[0], "the copy joined the head"
    return Story(ids[0], ids[1])


def config() -> Config:
    return Config.model_validate(
        {"slack": {"default_channel": "#ai-news", "channels": {"policy": "#ai-policy"}}}
    )


def bot(fake: FakeSlack) -> Secrets:
    return Secrets(slack_bot_token=fake.token, slack_api_url=fake.api_url)


def replay(ctx: Context, *, alerts: bool) -> tuple[list[tuple[int, str, str]], ReclassifyOutcome]:
    """The dry run's changes (article, +/-, topic), then the real run's outcome."""
    rows = [r for batch in ctx.store.reclassify_batches(EPOCH, None) for r in batch]
    _, diffs = preview_reclassify(ctx, rows)
    shown = sorted(
        [(d.article_id, "+", m.topic) for d in diffs for m in d.new]
        + [(d.article_id, "-", m.topic) for d in diffs for m in d.lost]
    )
    # The test's stories are months old: `--any-age`, or their alerts would stay held.
    return shown, reclassify_batch(ctx, rows, queue_alerts=alerts, any_age=True)


def test_a_copy_the_new_rules_match_announces_a_story_no_article_matched(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """A wire story's first article lacks the key terms, a copy from another outlet carries
    them: after the rules learn the term, `backfill --alerts` announced nothing and the dry
    run showed nothing, whereas the monitor would have let the copy speak."""
    store = Store.open(db_url)
    try:
        story = store_story(store, rules_with(tmp_path, "old", *MATCHES_NOTHING), config())
        new = rules_with(tmp_path, "new", *MATCHES_THE_COPY)
        ctx = Context(config(), new, store, secrets=bot(fake))

        shown, outcome = replay(ctx, alerts=True)
        deliver(ctx, 10)

        assert shown == [(story.copy, "+", "policy")]
        assert outcome.alerts_queued == 1
        assert [m.topic for m in store.matches_of(story.copy)] == ["policy"]
        assert store.matches_of(story.head) == []
        assert len(fake.top_level("#ai-policy")) == 1
        # run again: the story was announced, nothing more
        assert replay(ctx, alerts=True) == ([], ReclassifyOutcome(articles=1))
        deliver(ctx, 10)
        assert len(fake.top_level()) == 1
    finally:
        store.close()


def test_a_copy_that_spoke_loses_the_topic_the_rules_drop_and_its_queued_alert(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """The copy spoke for its story (its alert still queued); the rules drop the term: a
    quiet backfill left the copy's match and its alert, which the next delivery posted."""
    store = Store.open(db_url)
    try:
        story = store_story(store, rules_with(tmp_path, "old", *MATCHES_THE_COPY), config())
        assert [a.status for a in store.list_alerts()] == [AlertStatus.PENDING]
        ctx = Context(config(), rules_with(tmp_path, "new", *MATCHES_NOTHING), store)

        shown, outcome = replay(ctx, alerts=False)

        assert shown == [(story.copy, "-", "policy")]
        assert outcome.removed == {"policy": 1} and outcome.alerts_withdrawn == 1
        assert store.matches_of(story.copy) == []
        deliver(Context(config(), ctx.rules, store, secrets=bot(fake)), 10)
        assert fake.posts == []
    finally:
        store.close()


@pytest.mark.parametrize("alerts", [False, True], ids=["quiet", "alerts"])
def test_a_story_whose_voice_moves_from_its_copy_to_its_head_keeps_its_one_alert(
    db_url: str, tmp_path: Path, fake: FakeSlack, alerts: bool
) -> None:
    """The copy spoke (its alert queued); the new rules match the head instead: the story
    still matches, so it is announced once, quietly or with `--alerts`, never twice."""
    store = Store.open(db_url)
    try:
        story = store_story(store, rules_with(tmp_path, "old", *MATCHES_THE_COPY), config())
        new = rules_with(tmp_path, "new", *MATCHES_THE_HEAD)
        ctx = Context(config(), new, store, secrets=bot(fake))

        shown, outcome = replay(ctx, alerts=alerts)
        deliver(ctx, 10)

        assert shown == sorted([(story.head, "+", "policy"), (story.copy, "-", "policy")])
        # One story re-classified, two of its articles changed: the summary said "re-classified
        # 1 articles, 2 changed", more changed than re-classified.
        assert (outcome.articles, outcome.changed) == (1, 2)
        result = BackfillResult(EPOCH.date(), None, new.version, outcome)
        assert result.line().startswith("re-classified 1 story, 2 articles changed;")
        assert result.cli_lines()[0].startswith("\nre-classified 1 story (2 articles changed):")
        assert [m.topic for m in store.matches_of(story.head)] == ["policy"]
        assert store.matches_of(story.copy) == []
        assert len(fake.top_level("#ai-policy")) == 1, "the story went unannounced"
        replay(ctx, alerts=True)
        deliver(ctx, 10)
        assert len(fake.top_level()) == 1, "the story was announced twice"
    finally:
        store.close()


def test_a_story_both_articles_now_match_is_announced_once_through_its_head(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    store = Store.open(db_url)
    try:
        story = store_story(store, rules_with(tmp_path, "old", *MATCHES_NOTHING), config())
        ctx = Context(
            config(), rules_with(tmp_path, "new", *MATCHES_BOTH), store, secrets=bot(fake)
        )

        shown, outcome = replay(ctx, alerts=True)
        deliver(ctx, 10)

        assert shown == [(story.head, "+", "policy")]
        assert outcome.alerts_queued == 1
        assert store.matches_of(story.copy) == []
        assert len(fake.top_level()) == 1
    finally:
        store.close()


def test_a_story_held_back_through_its_head_is_announced_when_its_copy_matches(
    db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    """The head's alert was held back (the rules stopped matching it); the rules change again
    and now match the copy: `backfill --alerts` must announce the story through the copy. The
    head's held-back alert, never sent, counted as the story's announcement in the channel."""
    store = Store.open(db_url)
    try:
        story = store_story(store, rules_with(tmp_path, "old", *MATCHES_THE_HEAD), config())
        quiet = Context(config(), rules_with(tmp_path, "none", *MATCHES_NOTHING), store)
        assert replay(quiet, alerts=False)[1].alerts_withdrawn == 1
        ctx = Context(
            config(), rules_with(tmp_path, "new", *MATCHES_THE_COPY), store, secrets=bot(fake)
        )

        shown, outcome = replay(ctx, alerts=True)
        deliver(ctx, 10)

        assert shown == [(story.copy, "+", "policy")]
        assert outcome.alerts_queued == 1
        assert len(fake.top_level("#ai-policy")) == 1, "the story went unannounced"
    finally:
        store.close()
