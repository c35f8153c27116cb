"""Replaying rules without Prefect: the pure diff and the read-only preview."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newsmon.config import Config
from newsmon.corpus import Store
from newsmon.corpus.records import StoredMatch
from newsmon.pipeline import Context, diff_matches, preview_reclassify, reclassify_batch, to_stored
from newsmon.rules import TopicMatch, load_rules
from tests.support.articles import new_article

RULES = """\
version: 2
topics:
  open-source:
    terms: {en: ["open weights", "GitHub"]}
  policy:
    terms: {en: ["regulation", "FTC"]}
"""


def match(topic: str, score: int = 3) -> TopicMatch:
    return TopicMatch(topic, score, (), "")


def test_diff_matches_reports_new_and_lost_topics() -> None:
    stored = [StoredMatch("policy", 3, [], ""), StoredMatch("ai-safety", 4, [], "")]
    diff = diff_matches(7, "t", stored, [match("policy", 6), match("open-source")])
    assert diff is not None
    assert [m.topic for m in diff.new] == ["open-source"]
    assert [m.topic for m in diff.lost] == ["ai-safety"]
    assert diff.as_dict()["lost"] == [{"topic": "ai-safety", "score": 4}]
    # a score change alone is not a diff: the same channels get the same alerts
    assert diff_matches(7, "t", stored[:1], [match("policy", 9)]) is None


def test_preview_writes_nothing(tmp_path: Path, sqlite_url: str) -> None:
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    old_rules = load_rules(rules_path)
    store = Store.open(sqlite_url)
    try:
        ids = []
        for i, (title, text) in enumerate(
            [
                ("FTC regulation of chips", "The FTC said regulation is coming."),
                ("Weights on GitHub", "The lab put open weights on GitHub."),
                ("Phone review", "A phone."),
            ]
        ):
            stored = store.add_article(
                new_article(f"https://x.example/{i}", text, title=title, content_hash=f"h{i}"),
                to_stored(old_rules.classify(title, text)),
                old_rules.version,
            )
            ids.append(stored.id)
        before = {i: store.matches_of(i) for i in ids}
        assert [m.topic for m in before[ids[0]]] == ["policy"]

        # New rules: FTC and regulation no longer count; "phone" is now open-source (on purpose).
        rules_path.write_text(
            RULES.replace('"regulation", "FTC"', '"antitrust"').replace(
                '"GitHub"]', '"GitHub", "phone"]'
            ),
            encoding="utf-8",
        )
        ctx = Context(Config(), load_rules(rules_path), store)
        rows = store.articles_for_reclassify(datetime(2000, 1, 1, tzinfo=UTC), None)
        count, diffs = preview_reclassify(ctx, rows)
        assert count == 3
        by_id = {d.article_id: d for d in diffs}
        assert set(by_id) == {ids[0], ids[2]}
        assert [m.topic for m in by_id[ids[0]].lost] == ["policy"] and not by_id[ids[0]].new
        assert [m.topic for m in by_id[ids[2]].new] == ["open-source"]
        assert {i: store.matches_of(i) for i in ids} == before  # nothing written
    finally:
        store.close()


def test_a_backfill_never_announces_a_story_one_of_its_copies_announced(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The story's first article was a teaser without the policy terms; a copy from another
    site matched and announced it in the policy channel. New rules make the teaser match too:
    a backfill with alerts re-classifies it (it is the cluster's head) and must not queue a
    second alert for the story in that channel."""
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    store = Store.open(sqlite_url)
    try:
        body = " ".join(
            f"The agency published its chip export review, part {i}." for i in range(12)
        )
        teaser = store.add_article(new_article("https://wire.example/1", body, signed=True))
        spoke = store.add_article(
            new_article("https://copy.example/1", body + " The FTC said so.", signed=True),
            [StoredMatch("policy", 3, [], "")],
            "v1",
            {"#policy": ["policy"]},
        )
        assert spoke.duplicate_of == teaser.id and spoke.alerts_queued == 1

        rules_path.write_text(RULES.replace('"FTC"', '"FTC", "chip export"'), encoding="utf-8")
        config = Config.model_validate({"slack": {"channels": {"policy": "#policy"}}})
        ctx = Context(config, load_rules(rules_path), store)
        rows = store.articles_for_reclassify(datetime(2000, 1, 1, tzinfo=UTC), None)
        assert [r.id for r in rows] == [teaser.id]
        outcome = reclassify_batch(ctx, rows, queue_alerts=True)
        assert outcome.added == {"policy": 1}  # the head's topics follow the rules
        assert outcome.alerts_queued == 0
        assert [(a.article_id, a.channel) for a in store.list_alerts()] == [(spoke.id, "#policy")]
    finally:
        store.close()
