"""Typed pass outcomes and their renderings: totals summed once, stored under the same keys,
and the log line, artifact and command line all read from the same record."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from newsmon.corpus.records import StoredMatch
from newsmon.pipeline import (
    DeliveryOutcome,
    EntryFate,
    EntryResult,
    FeedOutcome,
    MatchDiff,
    ReclassifyOutcome,
)
from newsmon.poll import NextCheck
from newsmon.report import BackfillResult, PassTotals, feed_table
from newsmon.rules import TopicMatch

LATER = datetime(2025, 2, 24, 9, 40, tzinfo=UTC)


def outcomes() -> list[FeedOutcome]:
    good = FeedOutcome("good", entries=3, bytes_received=100)
    good.count(EntryResult("page", False, EntryFate.NEW, ("policy",), alerts_queued=1))
    good.count(EntryResult("json-ld", False, EntryFate.DUPLICATE, near=True))
    good.count(EntryResult("feed-summary", True, EntryFate.SEEN))
    waiting = FeedOutcome("waiting", not_due=True, next_check=NextCheck(LATER, "not due"))
    broken = FeedOutcome.failed("broken", "HTTP 404", NextCheck(LATER, "hard failure #1"))
    crashed = FeedOutcome.failed("crashed", "internal error: ValueError: x")
    return [good, waiting, broken, crashed]


def test_an_entry_counts_by_its_fate() -> None:
    [good, *_] = outcomes()
    assert (good.new_articles, good.duplicates, good.near_duplicates) == (1, 1, 1)
    assert good.already_seen == 1 and good.pages_failed == 1
    assert good.matches == Counter({"policy": 1}) and good.alerts_queued == 1
    assert good.text_sources == Counter({"page": 1, "json-ld": 1, "feed-summary": 1})
    assert EntryFate("duplicate") is EntryFate.DUPLICATE and EntryFate.SEEN == "seen"


def test_pass_totals_sum_the_feeds_and_keep_the_stored_format() -> None:
    delivery = DeliveryOutcome(sent=2, failed=1, errors=[f"#c: e{i}" for i in range(30)])
    delivery.sender = "slack"
    totals = PassTotals.of(outcomes(), delivery, pending_after=4)
    stored = totals.as_dict()
    assert stored["feeds_ok"] == 1 and stored["feeds_failed"] == 2 and stored["feeds_not_due"] == 1
    assert stored["new_articles"] == 1 and stored["duplicates"] == 1 and stored["entries"] == 3
    assert stored["text_sources"] == {"feed-summary": 1, "json-ld": 1, "page": 1}
    assert stored["failures"] == {"broken": "HTTP 404", "crashed": "internal error: ValueError: x"}
    assert stored["alerts_sent"] == 2 and stored["alerts_pending"] == 4
    assert len(stored["delivery_errors"]) == 20  # the runs table keeps the first 20
    line = totals.line()
    assert "feeds: 1 ok (0 unchanged), 2 failed, 1 not due;" in line
    assert "broken: HTTP 404 (hard failure #1); crashed: internal error" in line
    assert "crashed: internal error: ValueError: x |" in line  # no schedule, no parentheses
    assert line.endswith("| Slack: #c: e0")
    cli = totals.cli_lines()
    assert cli[0].startswith("\nfeeds: 1 ok (0 unchanged), 2 failed, 1 not due | new articles: 1")
    assert "matches: policy 1 | alerts sent: 2 (slack), pending: 4" in cli[0]
    assert cli[1:3] == [
        "  failed: broken: HTTP 404",
        "  failed: crashed: internal error: ValueError: x",
    ]
    assert cli[3:] == [f"  Slack: #c: e{i}" for i in range(5)]


def test_feed_table_shows_when_a_waiting_feed_is_due_and_why_one_failed() -> None:
    rows = {r["feed"]: r for r in feed_table(outcomes())}
    assert rows["waiting"]["status"] == "not due until 2025-02-24 09:40 UTC"
    assert rows["broken"]["status"] == "failed"
    assert rows["broken"]["error"] == "HTTP 404 (hard failure #1)"
    assert rows["good"]["matches"] == "policy 1" and rows["good"]["status"] == "ok"


def test_backfill_totals_fold_batches_and_render_both_ways() -> None:
    parts = [
        ReclassifyOutcome(2, 1, Counter({"policy": 1}), Counter(), 1),
        ReclassifyOutcome(3, 2, Counter({"policy": 1, "ai-safety": 1}), Counter({"x": 1}), 0),
    ]
    total = ReclassifyOutcome.total(parts)
    assert (total.articles, total.changed, total.alerts_queued) == (5, 3, 1)
    assert total.added == Counter({"policy": 2, "ai-safety": 1})
    result = BackfillResult(date(2025, 2, 1), None, "v1", total, DeliveryOutcome(sent=1))
    assert result.as_dict() == {
        "since": "2025-02-01",
        "until": None,
        "rules_version": "v1",
        "articles": 5,
        "changed": 3,
        "added": {"policy": 2, "ai-safety": 1},
        "removed": {"x": 1},
        "alerts_queued": 1,
        "alerts_sent": 1,
        "alerts_withdrawn": 0,
        "alerts_too_old": 0,
    }
    assert result.cli_lines() == [
        "\nre-classified 5 stories (3 articles changed): added +policy 2, +ai-safety 1; "
        "removed -x 1; alerts sent: 1"
    ]
    assert "matches added: +ai-safety 1, +policy 2; removed: -x 1; alerts: 1 queued" in (
        result.line()
    )


def test_a_dry_run_lists_each_articles_diff() -> None:
    diff = MatchDiff(
        7, "FTC inquiry", (TopicMatch("ai-safety", 4, (), ""),), (StoredMatch("policy", 3, [], ""),)
    )
    preview = ReclassifyOutcome.of_preview(10, [diff])
    result = BackfillResult(date(2025, 2, 1), date(2025, 2, 2), "v2", preview, diffs=(diff,))
    stored = result.as_dict()
    assert stored["dry_run"] is True and stored["until"] == "2025-02-02"
    assert stored["changed"] == 1 and stored["added"] == {"ai-safety": 1}
    assert stored["diff"][0]["lost"] == [{"topic": "policy", "score": 3}]
    lines = result.cli_lines()
    assert lines[:3] == [
        "\n#7 FTC inquiry",
        "  + ai-safety (score 4: )",
        "  - policy (was score 3)",
    ]
    assert lines[-1].startswith(
        "\ndry run over 10 stories: 1 article would change; new +ai-safety 1"
    )
    assert result.line() == "dry run: 10 stories, 1 article would change (nothing written)"


def test_pages_tried_again_show_only_when_there_were_some() -> None:
    quiet = PassTotals.of(outcomes(), DeliveryOutcome())
    assert "tried again" not in quiet.line() and "tried again" not in quiet.cli_lines()[0]
    retried = outcomes()
    retried[0].pages_retried, retried[0].pages_recovered = 3, 2
    totals = PassTotals.of(retried, DeliveryOutcome())
    assert totals.as_dict()["pages_retried"] == 3 and totals.as_dict()["pages_recovered"] == 2
    assert "already seen: 1, pages tried again: 3 (2 read); matches:" in totals.line()
    assert "| duplicates: 1 | pages tried again: 3 (2 read) | matches:" in totals.cli_lines()[0]
    retried[0].pages_postponed = 4
    totals = PassTotals.of(retried, DeliveryOutcome())
    assert "pages tried again: 3 (2 read, 4 wait on their site);" in totals.line()
    assert feed_table(retried)[0]["pages tried again"] == 3


def test_pages_left_for_a_later_pass_show_in_every_rendering_of_the_totals() -> None:
    quiet = PassTotals.of(outcomes(), DeliveryOutcome())
    assert quiet.as_dict()["pages_deferred"] == 0 and "later pass" not in quiet.line()
    left = outcomes()
    left[0].pages_retried, left[0].pages_recovered, left[0].pages_postponed = 3, 2, 1
    left[0].pages_deferred, left[1].pages_deferred = 4, 1
    totals = PassTotals.of(left, DeliveryOutcome())
    assert totals.as_dict()["pages_deferred"] == 5
    assert (
        "pages tried again: 3 (2 read, 1 wait on their site), pages left for a later pass: 5;"
        in totals.line()
    )
    assert (
        "| pages tried again: 3 (2 read, 1 wait on their site) | pages left for a later pass: 5 |"
        in totals.cli_lines()[0]
    )


def test_pages_stopped_by_a_worker_are_their_own_count_in_every_rendering() -> None:
    """A page downloaded whose worker stalled or was killed, due again: the pass's summary
    showed nothing of it (not a download failure, so not in `pages_failed`)."""
    quiet = PassTotals.of(outcomes(), DeliveryOutcome())
    assert quiet.as_dict()["pages_stopped"] == 0 and "stopped" not in quiet.line()
    stopped = outcomes()
    stopped[0].count(EntryResult("feed-summary", False, EntryFate.NEW, page_stopped=True))
    stopped[1].pages_stopped = 2  # read again on this pass, stopped again, due once more
    assert (stopped[0].pages_failed, stopped[0].pages_stopped) == (1, 1)
    totals = PassTotals.of(stopped, DeliveryOutcome())
    assert (totals.as_dict()["pages_failed"], totals.as_dict()["pages_stopped"]) == (1, 3)
    said = "pages stopped by a stalled or killed worker: 3 (read again later)"
    assert f"already seen: 1, {said}; matches:" in totals.line()
    assert f"| duplicates: 1 | {said} | matches:" in totals.cli_lines()[0]
    assert feed_table(stopped)[0]["pages stopped"] == 1
