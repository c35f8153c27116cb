"""Two backfills limited to different topics (`--topic`) re-classifying one article at the
same moment, on SQLite and PostgreSQL: each keeps the other's topic as it finds it stored when
it writes, not as it was when it began."""

from __future__ import annotations

from pathlib import Path

from newsmon.config import Config, Secrets, SlackConfig
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, StoredMatch
from newsmon.pipeline import Context, ReclassifyOutcome, reclassify_batch
from newsmon.rules import load_rules
from tests.integration.test_backfill_overlap import EPOCH
from tests.support.articles import new_article

RULES = """\
version: 2
topics:
  open-source:
    terms: {en: ["open-source"]}
  policy:
    terms: {en: ["FTC"]}
"""
TITLE = "FTC looks at open-source models"
TEXT = "The FTC asked how open-source models are licensed and who answers for their misuse."
CHANNELS = {"open-source": "#oss", "policy": "#policy"}


def test_two_topic_backfills_at_once_keep_each_others_match_and_alert(
    db_url: str, tmp_path: Path
) -> None:
    """Rules now match open-source and policy on a story stored with neither. `--topic policy`
    read the stored matches (none), then `--topic open-source --alerts` added open-source and
    queued its #oss alert, then the first wrote policy plus what it had read of the others:
    the open-source match was deleted and its queued alert withdrawn, never sent."""
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    rules = load_rules(rules_path)
    config = Config(slack=SlackConfig(channels=CHANNELS))
    first, second = Store.open(db_url), Store.open(db_url)  # two processes' connections
    try:
        article = first.add_article(new_article("https://a.example/s", TEXT, title=TITLE))
        oss_ctx = Context(config, rules, first, secrets=Secrets())
        policy_ctx = Context(config, rules, second, secrets=Secrets())
        [batch] = list(first.reclassify_batches(EPOCH, None))
        oss_outcome: list[ReclassifyOutcome] = []

        read_matches = second.matches_of

        def read_then_other_backfill(article_id: int) -> list[StoredMatch]:
            stored = read_matches(article_id)
            if not oss_outcome:  # the other backfill runs between this read and the write
                oss_outcome.append(
                    reclassify_batch(
                        oss_ctx, batch, queue_alerts=True, topics=["open-source"], any_age=True
                    )
                )
            return stored

        second.matches_of = read_then_other_backfill  # type: ignore[method-assign]
        policy = reclassify_batch(policy_ctx, batch, queue_alerts=False, topics=["policy"])

        assert oss_outcome[0].alerts_queued == 1
        assert sorted(m.topic for m in first.matches_of(article.id)) == ["open-source", "policy"]
        assert [(j.channel, j.topics) for j in first.pending_alerts(10)] == [
            ("#oss", ["open-source"])
        ], "the open-source alert was withdrawn by the policy backfill"
        assert first.count_alerts(AlertStatus.SKIPPED) == 0
        assert policy.alerts_withdrawn == 0 and not policy.removed
    finally:
        second.close()
        first.close()
