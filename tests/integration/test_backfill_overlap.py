"""A backfill overlapping a scheduled pass on one corpus (SQLite and PostgreSQL): the backfill
reads a batch of articles, the pass rewrites one of them (its page read at last), then the
backfill applies the rules to what it read. It must not undo what the pass just stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newsmon.config import Config
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import Context, reclassify_batch, to_stored
from newsmon.rules import load_rules
from tests.support.articles import new_article

RULES = """\
version: 2
topics:
  policy:
    terms: {en: ["FTC", "regulation"]}
"""
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
TEASER = "A short teaser about a watchdog."
PAGE = "The FTC opened an inquiry into AI chips; regulation of the sector may follow."
TITLE = "Watchdog looks at chips"


def test_a_page_read_at_last_during_a_backfill_keeps_its_matches_and_alert(
    db_url: str, tmp_path: Path
) -> None:
    """The pass reads the page of an article stored from its teaser while a backfill holds the
    teaser in its batch: the page matches policy and its alert is queued. The backfill then
    classified the teaser (no topic) and withdrew that alert: a story never announced."""
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    rules = load_rules(rules_path)
    store = Store.open(db_url)
    try:
        ctx = Context(Config(), rules, store)
        teaser = store.add_article(
            new_article("https://w.example/chips", TEASER, title=TITLE, text_source="feed")
        )
        assert rules.classify(TITLE, TEASER) == []

        batch = next(store.reclassify_batches(EPOCH, None))  # the backfill's read
        assert [r.id for r in batch] == [teaser.id]

        page = new_article("https://w.example/chips", PAGE, title=TITLE, signed=True)
        matches = to_stored(rules.classify(TITLE, PAGE))
        recovered = store.recover_page(
            teaser.id, TEASER, page, matches, rules.version, {"#policy": ["policy"]}
        )
        assert recovered.replaced and recovered.alerts_queued == 1  # the pass's write

        outcome = reclassify_batch(ctx, batch, queue_alerts=False)  # the backfill goes on

        assert [m.topic for m in store.matches_of(teaser.id)] == ["policy"]
        assert store.count_alerts(AlertStatus.PENDING) == 1
        assert store.count_alerts(AlertStatus.SKIPPED) == 0
        assert outcome.alerts_withdrawn == 0 and not outcome.removed
    finally:
        store.close()
