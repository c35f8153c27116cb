"""Backfill's pure parts: URL lists, streamed batches, topic-limited replay, progress, reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsmon import progress
from newsmon.config import Config
from newsmon.corpus import Store
from newsmon.corpus.records import FeedSpec, StoredMatch
from newsmon.pipeline import (
    Context,
    MatchDiff,
    PageOutcome,
    UrlListError,
    preview_reclassify,
    read_url_list,
    reclassify_batch,
    to_stored,
)
from newsmon.report import MAX_ARTIFACT_ROWS, diff_markdown
from newsmon.report_pages import PagesResult
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
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def test_url_lists_come_from_arguments_and_files(tmp_path: Path) -> None:
    listed = tmp_path / "pages.txt"
    listed.write_text(
        "# pasted stories\nhttps://a.example/1\n\nhttps://b.example/2  # archive\nhttps://a.example/1\n",
        encoding="utf-8",
    )
    assert read_url_list(["https://c.example/3", str(listed)]) == [
        "https://c.example/3",
        "https://a.example/1",
        "https://b.example/2",
    ]
    listed.write_text("https://a.example/1\nftp://nope\n", encoding="utf-8")
    with pytest.raises(UrlListError, match=r"pages.txt:2: not an http\(s\) URL"):
        read_url_list([str(listed)])
    with pytest.raises(UrlListError, match="cannot read"):
        read_url_list([str(tmp_path / "missing.txt")])
    # Lines that start like a URL and are none are refused where they are, not fetched.
    listed.write_text("https://a.example/1\nhttp://[::1/x\n", encoding="utf-8")
    with pytest.raises(UrlListError, match=r"pages.txt:2: not a valid URL \(Invalid IPv6 URL\)"):
        read_url_list([str(listed)])
    for bad, why in [
        ("https://a.example:99999/1", "not a valid URL"),
        ("http:///path", "no host"),
        ("https://[fe80::1/", "not a valid URL"),
    ]:
        with pytest.raises(UrlListError, match=why):
            read_url_list([bad])


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Store, Context, list[int], Path]:
    rules_path = tmp_path / "topics.yaml"
    rules_path.write_text(RULES, encoding="utf-8")
    rules = load_rules(rules_path)
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    feeds = store.sync_feeds([FeedSpec("wire", "https://w.example/rss", None)])
    ids = []
    for i in range(5):
        title, text = f"FTC regulation and open weights {i}", f"Story {i} on GitHub, the FTC."
        stored = store.add_article(
            new_article(
                f"https://x.example/{i}",
                text,
                title=title,
                content_hash=f"h{i}",
                feed_id=feeds["wire"].id if i % 2 else None,
            ),
            to_stored(rules.classify(title, text)),
            rules.version,
        )
        ids.append(stored.id)
    return store, Context(Config(), rules, store), ids, rules_path


def test_articles_are_read_in_batches_and_by_feed(
    corpus: tuple[Store, Context, list[int], Path],
) -> None:
    store, _, ids, _ = corpus
    try:
        batches = list(store.reclassify_batches(EPOCH, None, batch=2))
        assert [[r.id for r in b] for b in batches] == [ids[:2], ids[2:4], ids[4:]]
        assert store.count_for_reclassify(EPOCH, None) == 5
        wire = [r.id for b in store.reclassify_batches(EPOCH, None, feed="wire") for r in b]
        assert (
            wire == [ids[1], ids[3]] and store.count_for_reclassify(EPOCH, None, feed="wire") == 2
        )
        assert list(store.reclassify_batches(EPOCH, None, feed="nobody")) == []
    finally:
        store.close()


def test_a_topic_filter_replaces_only_that_topic(
    corpus: tuple[Store, Context, list[int], Path],
) -> None:
    store, ctx, ids, rules_path = corpus
    try:
        assert [m.topic for m in store.matches_of(ids[0])] == ["open-source", "policy"]
        # New rules drop both topics' terms; only policy is replayed.
        rules_path.write_text(
            RULES.replace('"regulation", "FTC"', '"antitrust"').replace(
                '"open weights", "GitHub"', '"weights on the moon"'
            ),
            encoding="utf-8",
        )
        ctx.rules = load_rules(rules_path)
        rows = [r for b in store.reclassify_batches(EPOCH, None) for r in b]
        _, diffs = preview_reclassify(ctx, rows, ["policy"])
        assert {(d.article_id, tuple(m.topic for m in d.lost)) for d in diffs} == {
            (i, ("policy",)) for i in ids
        }
        outcome = reclassify_batch(ctx, rows, queue_alerts=False, topics=["policy"])
        assert outcome.removed == {"policy": 5} and not outcome.added
        assert [m.topic for m in store.matches_of(ids[0])] == ["open-source"]  # kept as stored
        again = reclassify_batch(ctx, rows, queue_alerts=False, topics=["policy"])
        assert again.articles == 0  # no article has or gets policy now: none touched
    finally:
        store.close()


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, total: int | None, what: str) -> None:
        self.events.append(("start", (total, what)))

    def update(self, done: int) -> None:
        self.events.append(("update", done))

    def finish(self) -> None:
        self.events.append(("finish", None))


def test_progress_goes_to_whoever_watches() -> None:
    assert isinstance(progress.current(), progress.Quiet)
    a, b = Recorder(), Recorder()
    with progress.watching(a):
        watch = progress.Fanout(progress.current(), b)
        watch.start(10, "articles")
        watch.update(4)
        watch.finish()
    assert isinstance(progress.current(), progress.Quiet)
    assert a.events == b.events == [("start", (10, "articles")), ("update", 4), ("finish", None)]


def test_reports_of_a_dry_run_and_of_pages() -> None:
    diff = MatchDiff(
        3, "A | title", (TopicMatch("policy", 6, (), ""),), (StoredMatch("open-source", 4, [], ""),)
    )
    text = diff_markdown([diff], "**dry run**")
    assert "| #3 | A \\| title | policy (6: ) | open-source (was 4) |" in text
    pages = PagesResult(
        (
            PageOutcome("https://a.example/1", "new", None, ("policy",), 1),
            PageOutcome("https://a.example/2", "failed", error="HTTP 404"),
        )
    )
    assert pages.counts() == {"failed": 1, "new": 1}
    assert pages.as_dict()["failures"] == {"https://a.example/2": "HTTP 404"}
    assert pages.line() == "2 pages: failed 1, new 1; alerts: off"
    assert pages.table()[0]["topics"] == "policy"


def test_a_backfill_of_many_pages_keeps_its_artifact_and_run_summary_bounded() -> None:
    """100,000 URLs: the Prefect table and the runs row hold a bounded sample and the counts;
    the flow's result and the command's lines keep every page."""
    many = 100_000
    pages = PagesResult(
        tuple(
            PageOutcome(f"https://a.example/{i}", "failed", error="HTTP 404") for i in range(many)
        )
    )
    table = pages.table()
    assert len(table) == MAX_ARTIFACT_ROWS + 1
    assert table[-1]["url"] == f"… and {many - MAX_ARTIFACT_ROWS} more (the flow's result has all)"
    stored = pages.as_dict()
    assert len(stored["failures"]) == MAX_ARTIFACT_ROWS and stored["failures_total"] == many
    assert stored["pages"] == {"failed": many} and len(pages.cli_lines()) == many + 2


def test_a_backfill_range_is_whole_utc_days_and_refuses_what_selects_nothing() -> None:
    from datetime import date

    from newsmon.pipeline.backfill_args import BackfillArgumentError, first_seen_range

    day = date(2025, 2, 1)
    assert first_seen_range(day, None) == (datetime(2025, 2, 1, tzinfo=UTC), None)
    assert first_seen_range(day, day) == (
        datetime(2025, 2, 1, tzinfo=UTC),
        datetime(2025, 2, 2, tzinfo=UTC),
    )
    with pytest.raises(BackfillArgumentError, match="until 2025-01-31 is before since"):
        first_seen_range(day, date(2025, 1, 31))
    with pytest.raises(BackfillArgumentError, match="past the last day"):
        first_seen_range(day, date.max)
    assert first_seen_range(date.min, date(9999, 12, 30))[1] == datetime(9999, 12, 31, tzinfo=UTC)
