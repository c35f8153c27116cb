"""Health verdicts from plain records: when a pass fails its job, and when an installation is
stale, stuck or has feeds failing or silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsmon.corpus.records import FeedHealth, RunRecord, RunStatus, UnfinishedDigest
from newsmon.health import (
    FeedState,
    HealthPolicy,
    IndexBacklog,
    ProblemKind,
    assess,
    describe_run,
    judge_feed,
)
from newsmon.pipeline import DeliveryOutcome, FeedOutcome
from newsmon.report import PassTotals
from newsmon.verdict import VerdictKind, judge_pass

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def totals(
    ok: int = 1,
    failed: int = 0,
    not_due: int = 0,
    *,
    sent: int = 0,
    pending: int = 0,
    errors: tuple[str, ...] = (),
    given_back: int = 0,
) -> PassTotals:
    feeds = [FeedOutcome(f"ok{i}") for i in range(ok)]
    feeds += [FeedOutcome.failed(f"bad{i}", f"HTTP 50{i}") for i in range(failed)]
    feeds += [FeedOutcome(f"wait{i}", not_due=True) for i in range(not_due)]
    delivery = DeliveryOutcome(sent=sent, errors=list(errors), sender="slack", deferred=given_back)
    return PassTotals.of(feeds, delivery, pending)


def run(
    id: int,
    status: RunStatus = RunStatus.COMPLETED,
    *,
    ago: timedelta = timedelta(minutes=10),
    summary: dict[str, object] | None = None,
    error: str | None = None,
) -> RunRecord:
    start = NOW - ago
    end = None if status is RunStatus.RUNNING else start + timedelta(minutes=1)
    return RunRecord(id, "monitor", status, start, end, dict(summary or {}), error)


BLOCKED = {"alerts_pending": 4, "alerts_sent": 0, "delivery_errors": ["#p: invalid_auth"]}


def test_every_feed_tried_failing_fails_the_pass_in_one_line() -> None:
    verdict = judge_pass(totals(ok=0, failed=5, not_due=2), [])
    assert verdict.kind is VerdictKind.ALL_FEEDS_FAILED and not verdict.ok
    assert verdict.message.startswith("every feed tried failed (5): bad0: HTTP 500; bad1")
    assert verdict.message.endswith("; and 2 more") and "\n" not in verdict.message


def test_some_feeds_working_or_none_due_is_not_a_failure() -> None:
    assert judge_pass(totals(ok=1, failed=5), []).ok
    assert judge_pass(totals(ok=0, failed=0, not_due=3), []).ok
    assert judge_pass(totals(ok=0, failed=0), []).ok  # nothing configured


def test_blocked_delivery_fails_only_after_enough_passes_in_a_row() -> None:
    refused = ("#p: blocked: Slack refused the message: channel_not_found",)
    blocked = totals(pending=4, errors=refused, given_back=1)
    assert judge_pass(blocked, [], blocked_passes=3).ok
    assert judge_pass(blocked, [run(2, summary=BLOCKED)], blocked_passes=3).ok
    two_before = [run(3, summary=BLOCKED), run(2, RunStatus.FAILED, summary=BLOCKED)]
    verdict = judge_pass(blocked, two_before, blocked_passes=3)
    assert verdict.kind is VerdictKind.DELIVERY_BLOCKED
    assert verdict.message.startswith("delivery blocked for 3 passes in a row: 4 alerts pending")
    assert "channel_not_found" in verdict.message
    # a pass that delivered breaks the streak; a crashed one (no totals) is not counted
    delivered = {"alerts_pending": 4, "alerts_sent": 2, "delivery_errors": []}
    assert judge_pass(blocked, [run(3, summary=BLOCKED), run(2, summary=delivered)]).ok
    with_crash = [run(4, RunStatus.CRASHED), run(3, summary=BLOCKED), run(2, summary=BLOCKED)]
    assert not judge_pass(blocked, with_crash).ok
    assert judge_pass(blocked, two_before, blocked_passes=0).ok
    assert judge_pass(totals(pending=4, sent=1, errors=("x",)), two_before).ok
    # a pass that tried nothing (what waits is not due) is not blocked, whatever it reported;
    # the stored summaries above are of an older version, without "alerts_unsent"
    probed = ("#q: its history cannot be read (missing_scope)",)
    assert judge_pass(totals(pending=4, errors=probed), two_before).ok
    assert judge_pass(blocked, [run(3, summary=totals(pending=4, errors=probed).as_dict())]).ok


def test_passes_waiting_out_a_retry_do_not_hide_a_long_outage() -> None:
    """Slack down for hours: each failed alert waits its retry time (5, 20, 60 minutes...), and
    the passes in between try nothing. Those passes neither block nor clear: the passes that
    tried and were refused still make a streak, and the run fails as it should."""
    down = ("#p: Slack failed: HTTP 503",)
    refused = totals(pending=4, errors=down, given_back=1).as_dict()
    waiting = totals(pending=4).as_dict()  # nothing due, nothing tried, nothing reported
    probed = totals(pending=4, errors=("#q: its history cannot be read",)).as_dict()
    earlier = [
        run(6, summary=waiting),
        run(5, summary=probed),
        run(4, summary=refused),
        run(3, summary=waiting),
        run(2, summary=refused),
    ]
    now = totals(pending=4, errors=down, given_back=1)
    verdict = judge_pass(now, earlier, blocked_passes=3)
    assert verdict.kind is VerdictKind.DELIVERY_BLOCKED
    assert verdict.message.startswith("delivery blocked for 3 passes in a row")
    # a pass that delivered in between still breaks the streak
    delivered = totals(pending=4, sent=1).as_dict()
    earlier.insert(3, run(35, summary=delivered))
    assert judge_pass(now, earlier, blocked_passes=3).ok
    # and a pass that tried nothing is never itself the one that fails
    assert judge_pass(totals(pending=4), earlier[3:], blocked_passes=3).ok


def feed(name: str = "f", **changes: object) -> FeedHealth:
    values: dict[str, object] = {
        "name": name,
        "url": f"https://{name}.example/feed",
        "last_checked_at": NOW - timedelta(minutes=5),
        "last_success_at": NOW - timedelta(minutes=5),
        "last_error": None,
        "last_error_at": None,
        "consecutive_failures": 0,
        "entries_seen": 10,
        "articles": 3,
        "created_at": NOW - timedelta(days=30),
        "last_new_at": NOW - timedelta(hours=2),
    }
    values.update(changes)
    return FeedHealth(**values)  # type: ignore[arg-type]


def test_feeds_are_failing_too_long_after_a_day_and_silent_after_a_week() -> None:
    policy = HealthPolicy()
    assert judge_feed(feed(), NOW, policy).state is FeedState.OK
    assert judge_feed(feed(last_checked_at=None), NOW, policy).state is FeedState.NEVER_CHECKED
    fresh_failure = feed(consecutive_failures=2, last_success_at=NOW - timedelta(hours=3))
    assert judge_feed(fresh_failure, NOW, policy).state is FeedState.FAILING
    old = feed(consecutive_failures=9, last_success_at=NOW - timedelta(hours=25))
    assert judge_feed(old, NOW, policy).state is FeedState.FAILING_TOO_LONG
    never_worked = feed(consecutive_failures=9, last_success_at=None)
    assert judge_feed(never_worked, NOW, policy).since == NOW - timedelta(days=30)
    quiet = feed(last_new_at=NOW - timedelta(days=8))
    assert judge_feed(quiet, NOW, policy).state is FeedState.SILENT
    assert judge_feed(quiet, NOW, HealthPolicy(silent_for=None)).state is FeedState.OK
    new_feed = feed(last_new_at=None, created_at=NOW - timedelta(days=1))
    assert judge_feed(new_feed, NOW, policy).state is FeedState.OK


def kinds(report_problems: list[object]) -> list[ProblemKind]:
    return [p.kind for p in report_problems]  # type: ignore[attr-defined]


def test_a_fresh_corpus_is_unhealthy_a_recent_good_pass_is_healthy() -> None:
    fresh = assess(NOW, [], [], {})
    assert not fresh.healthy and kinds(fresh.problems) == [ProblemKind.NO_PASS]
    assert "last completed pass: none" in fresh.lines()
    good = assess(NOW, [run(1)], [feed()], {"#p": {"sent": 3}})
    assert good.healthy and good.lines()[-1] == "healthy"
    assert "alerts #p: sent 3" in good.lines()
    assert good.as_dict()["last_completed_pass"]["id"] == 1


def test_stale_failed_stuck_and_blocked_are_problems() -> None:
    stale = assess(NOW, [run(1, ago=timedelta(hours=3, minutes=1))], [], {})
    assert kinds(stale.problems) == [ProblemKind.STALE]
    assert "3 h ago" in stale.problems[0].message
    assert assess(
        NOW,
        [run(1, ago=timedelta(hours=3))],
        [],
        {},
        policy=HealthPolicy(max_pass_age=timedelta(hours=4)),
    ).healthy
    failed = [run(2, RunStatus.FAILED, error="every feed tried failed (2): a: x"), run(1)]
    report = assess(NOW, failed, [], {})
    assert kinds(report.problems) == [ProblemKind.LAST_PASS_FAILED]
    assert "run #2 failed: every feed tried failed" in report.problems[0].message
    assert "latest pass: failed, run #2: every feed" in "\n".join(report.lines())
    hung = [run(3, RunStatus.RUNNING, ago=timedelta(hours=2)), run(1)]
    assert kinds(assess(NOW, hung, [], {}).problems) == [ProblemKind.PASS_STUCK]
    running_now = [run(3, RunStatus.RUNNING, ago=timedelta(minutes=2)), run(1)]
    assert assess(NOW, running_now, [], {}).healthy
    alerts = {"#p": {"blocked": 2, "pending": 1}, "#q": {"failed": 1, "sent": 9}}
    blocked = assess(NOW, [run(1)], [], alerts)
    assert [(p.kind, p.subject) for p in blocked.problems] == [(ProblemKind.ALERTS_STUCK, "#p")]


def test_a_failed_pass_stays_a_problem_through_passes_that_could_not_tell_it_over() -> None:
    """Every feed down backs off, so the passes after the failed one find nothing due; during
    a Slack outage the passes between retries try no alert. Those passes complete, and health
    went green (the operations channel said "resolved") while nothing had come back."""
    down = totals(ok=0, failed=2).as_dict()
    nothing_due = totals(ok=0, not_due=2).as_dict()
    failed = run(2, RunStatus.FAILED, summary=down, error="every feed tried failed (2): a: x")
    idle = [run(4, summary=nothing_due), run(3, summary=nothing_due)]
    report = assess(NOW, [*idle, failed, run(1)], [], {})
    assert kinds(report.problems) == [ProblemKind.LAST_PASS_FAILED]
    assert report.problems[0].message.startswith("run #2 failed: every feed tried failed")
    assert "2 pass(es) since tried nothing" in report.problems[0].message
    read_one = run(5, summary=totals(ok=1, failed=1).as_dict())
    assert assess(NOW, [read_one, *idle, failed], [], {}).healthy
    still_down = run(5, RunStatus.FAILED, summary=down, error="every feed tried failed (2)")
    assert "run #5" in assess(NOW, [still_down, *idle, failed], [], {}).problems[0].message

    refused = ("#p: Slack failed: HTTP 503",)
    blocked = run(
        2, RunStatus.FAILED, summary=totals(pending=4, errors=refused, given_back=1).as_dict()
    )
    waiting = run(3, summary=totals(pending=4).as_dict())  # its retry not due: nothing tried
    report = assess(NOW, [waiting, blocked, run(1)], [], {})
    assert kinds(report.problems) == [ProblemKind.LAST_PASS_FAILED]
    delivered = run(4, summary=totals(pending=0, sent=4).as_dict())
    assert assess(NOW, [delivered, waiting, blocked], [], {}).healthy
    # a crash is over once any pass after it completes
    crashed = run(2, RunStatus.CRASHED, error="killed")
    assert assess(NOW, [run(3, summary=nothing_due), crashed], [], {}).healthy


def test_a_feed_whose_pages_mostly_could_not_be_downloaded_is_a_problem() -> None:
    blocked = feed(
        "blocked",
        recent_articles=12,
        recent_unread=9,
        last_page_error="page fetch failed: HTTP 403 Forbidden",
    )
    report = assess(NOW, [run(1)], [blocked], {})
    assert [(p.kind, p.subject) for p in report.problems] == [(ProblemKind.PAGES_UNREAD, "blocked")]
    assert report.problems[0].message == (
        "blocked: 9 of its 12 articles of the last 7 days are teasers, their pages could not "
        "be downloaded or held no article text (last: page fetch failed: HTTP 403 Forbidden)"
    )
    assert report.as_dict()["feeds"][0]["recent_unread"] == 9
    # a few pages lost, or a minority of them, is the web as usual
    assert assess(NOW, [run(1)], [feed(recent_articles=4, recent_unread=4)], {}).healthy
    assert assess(NOW, [run(1)], [feed(recent_articles=30, recent_unread=14)], {}).healthy
    strict = HealthPolicy(unread_share=0.4)
    assert not assess(
        NOW, [run(1)], [feed(recent_articles=30, recent_unread=14)], {}, policy=strict
    ).healthy
    assert assess(NOW, [run(1)], [blocked], {}, policy=HealthPolicy(unread_share=0)).healthy


def test_only_enabled_feeds_count_and_an_old_completed_pass_is_kept() -> None:
    failing = feed("gone", consecutive_failures=5, last_success_at=NOW - timedelta(days=3))
    assert kinds(assess(NOW, [run(1)], [failing], {}).problems) == [ProblemKind.FEED_FAILING]
    assert assess(NOW, [run(1)], [failing], {}, enabled={"other"}).healthy
    crashes = [run(i, RunStatus.CRASHED, error="boom") for i in (9, 8)]
    report = assess(NOW, crashes, [], {}, last_completed=run(1, ago=timedelta(hours=5)))
    assert kinds(report.problems) == [ProblemKind.STALE, ProblemKind.LAST_PASS_FAILED]


def test_runs_are_described_in_one_line() -> None:
    summary = totals(ok=2, failed=1, sent=3, pending=1).as_dict()
    line = describe_run(run(1, summary=summary))
    assert line == "feeds 2 ok, 1 failed, 0 not due; new articles 0; alerts sent 3, pending 1"
    assert describe_run(run(2, RunStatus.CRASHED, error="TimeoutError: x")) == "TimeoutError: x"


def test_an_index_that_old_stories_do_not_leave_is_a_problem() -> None:
    """Pruning failures only warn in a pass's log: the backlog is what shows them."""
    within = assess(NOW, [run(1)], [feed()], {}, index=IndexBacklog(50_000, 5000))
    assert within.healthy  # ten passes' share: an upgrade's backlog, being worked off
    assert "near-duplicate index: 50000 articles past retention (a pass takes 5000)" in (
        within.lines()
    )
    behind = assess(NOW, [run(1)], [feed()], {}, index=IndexBacklog(50_001, 5000))
    assert kinds(behind.problems) == [ProblemKind.INDEX_BEHIND]
    assert "`newsmon prune` clears it" in behind.problems[0].message
    assert behind.as_dict()["index_backlog"] == 50_001
    off = assess(NOW, [run(1)], [feed()], {})
    assert off.healthy and off.as_dict()["index_backlog"] is None
    assert not any("near-duplicate index" in line for line in off.lines())


def test_an_entry_that_fails_pass_after_pass_is_a_problem() -> None:
    """An entry an unexpected error stopped is tried again next pass; a fault that outlives
    three passes will not go by itself, and its story is not stored meanwhile."""
    line = "entry https://f.example/a: RuntimeError: disk said no"
    once = feed(entry_failure_passes=1, entries_failing_since=NOW, last_error=line)
    assert assess(NOW, [run(1)], [once], {}).healthy  # a hiccup, retried next pass
    stuck = feed(
        entry_failure_passes=3,
        entries_failing_since=NOW - timedelta(minutes=45),
        last_error=line,
    )
    report = assess(NOW, [run(1)], [stuck], {})
    assert [(p.kind, p.subject) for p in report.problems] == [(ProblemKind.ENTRIES_FAILING, "f")]
    assert report.problems[0].message == (
        f"f: an entry failed in each of its last 3 passes (45 min), its story is not stored "
        f"(last: {line})"
    )
    assert report.as_dict()["feeds"][0]["entry_failure_passes"] == 3
    assert report.as_dict()["feeds"][0]["entries_failing_since"] == "2025-03-01T11:15:00+00:00"
    off = HealthPolicy(entry_failure_passes=0)
    assert assess(NOW, [run(1)], [stuck], {}, policy=off).healthy


def test_a_configuration_with_no_enabled_feed_is_a_problem() -> None:
    """Every feed disabled or none listed: passes complete and nothing is monitored, which a
    team reading the channels would take for a quiet week."""
    quiet = feed("off", last_success_at=NOW - timedelta(minutes=10))
    report = assess(NOW, [run(1)], [quiet], {}, enabled=set())
    assert kinds(report.problems) == [ProblemKind.NO_FEEDS]
    assert "nothing is monitored" in report.lines()[-1]
    assert report.as_dict()["problems"][0]["kind"] == "no_feeds"
    assert assess(NOW, [run(1)], [quiet], {}, enabled={"off"}).healthy
    assert assess(NOW, [run(1)], [quiet], {}).healthy  # enabled unknown: not judged


def test_a_channel_whose_history_cannot_be_read_is_a_problem() -> None:
    """A lost post there cannot be checked: the operator must grant the scope."""
    from newsmon.corpus.records import ChannelBlock

    trouble = ChannelBlock(
        "#a", "Slack refused reading the channel history: missing_scope", NOW - timedelta(hours=3)
    )
    report = assess(NOW, [run(1)], [], {}, unreadable={"#a": trouble})
    assert kinds(report.problems) == [ProblemKind.HISTORY_UNREADABLE]
    [problem] = report.problems
    assert problem.subject == "#a" and "missing_scope" in problem.message
    assert "3 h" in problem.message and "history_unreadable" in report.lines()[-1]
    assert assess(NOW, [run(1)], [], {}, unreadable={}).healthy


def test_unfinished_digests_are_one_problem_per_channel_naming_the_oldest_and_its_fate() -> None:
    day = timedelta(days=1)
    digests = [
        UnfinishedDigest("#p", NOW - 2 * day, NOW - day, "HTTP 503"),
        UnfinishedDigest("#p", NOW - 10 * day, NOW - 9 * day, "channel_is_archived"),
        UnfinishedDigest("#o", NOW - 2 * day, NOW - day, None),
    ]
    report = assess(NOW, [run(1)], [], {}, digests=digests)
    found = {
        p.subject: p.message for p in report.problems if p.kind is ProblemKind.DIGEST_UNFINISHED
    }
    assert set(found) == {"#p", "#o"} and not report.healthy
    assert "2 digest(s)" in found["#p"] and "channel_is_archived" in found["#p"]
    assert "too old for a later digest call" in found["#p"]
    assert (
        "the next monitoring pass (or digest call) finishes it" in found["#o"]
        and "(stopped)" in found["#o"]
    )


def test_alerts_that_gave_up_recently_are_one_problem_naming_channels_and_the_command() -> None:
    """Alerts out of tries (or refused by Slack for good) were never posted; the passes after
    them have nothing pending and complete, so only this problem tells."""
    good = [run(1)]
    assert assess(NOW, good, [], {}, failed={}).healthy
    assert assess(NOW, good, [], {}, failed={"#a": 0}).healthy
    report = assess(NOW, good, [], {"#a": {"failed": 9}}, failed={"#a": 2, "#b": 1})
    [problem] = report.problems
    assert problem.kind is ProblemKind.ALERTS_FAILED and problem.subject is None
    assert problem.message.startswith("3 alert(s) gave up in the last 24 h")
    assert "#a 2, #b 1" in problem.message and "newsmon alerts retry --failed" in problem.message


def test_an_operations_channel_slack_refuses_is_a_problem_naming_it_and_what_to_do() -> None:
    """Its notices cannot go out: a warning in a pass's log was all that said so."""
    from newsmon.corpus.records import ChannelBlock

    refused = ChannelBlock(
        "#ops", "Slack refused the message: is_archived", NOW - timedelta(hours=5)
    )
    report = assess(NOW, [run(1)], [], {}, ops_refused=refused)
    [problem] = report.problems
    assert problem.kind is ProblemKind.OPS_CHANNEL_REFUSED and problem.subject == "#ops"
    assert "is_archived" in problem.message and "5 h" in problem.message
    assert "invite the bot" in problem.message and "`slack.ops_channel`" in problem.message
    assert assess(NOW, [run(1)], [], {}, ops_refused=None).healthy


def test_health_json_counts_every_alert_status_of_a_channel_zero_included() -> None:
    """`newsmon health --json` gave a channel only the statuses it had alerts in: a probe
    reading `.alerts["#news"].failed` got a number after a failure and null (missing) before,
    and could not tell "none failed" from a field that went away. Every status now, 0 or more."""
    statuses = {"pending", "sending", "sent", "failed", "skipped", "blocked"}
    quiet = assess(NOW, [run(1)], [], {"#news": {"sent": 2}}).as_dict()["alerts"]
    troubled = assess(NOW, [run(1)], [], {"#news": {"sent": 2, "failed": 1}}).as_dict()["alerts"]
    for shown in (quiet, troubled):
        assert set(shown["#news"]) == statuses, shown
        assert all(isinstance(n, int) for n in shown["#news"].values()), shown
    assert (quiet["#news"]["failed"], troubled["#news"]["failed"]) == (0, 1)
    assert quiet["#news"]["sent"] == 2


def test_alerts_off_counts_the_alerts_waiting_in_a_channel_slack_refuses_as_pending_too() -> None:
    """Alert counts call the pending alerts of a channel Slack refuses "blocked": with alerts
    off, `alerts_off` summed "pending" only and said "0 alert(s) pending" while they waited,
    kept for when alerts are on, like any other."""
    from newsmon.corpus.alert_views import HeldBack

    alerts = {"#news": {"pending": 1, "sent": 4}, "#stuck": {"blocked": 2}}
    report = assess(NOW, [run(1)], [], alerts, alerts_off=HeldBack(0, None))
    [off] = [p for p in report.problems if p.kind is ProblemKind.ALERTS_OFF]
    assert "3 alert(s) pending" in off.message, off.message
