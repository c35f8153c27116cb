"""The decision of health notices (`newsmon.notices.plan_notices`): which problems a pass
announces in the operations channel, which it resolves, grouped when many change at once, and
what the text shows — escaped, bounded, without secrets. Pure: reports made by `assess`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from newsmon.alerts import MAX_SECTION_CHARS, limit_violations, slack_len
from newsmon.corpus.records import (
    Announced,
    ChannelBlock,
    FeedHealth,
    RunRecord,
    RunStatus,
    UnfinishedDigest,
)
from newsmon.health import HealthPolicy, HealthReport, ProblemKind, assess
from newsmon.notices import (
    FLAP_QUIET,
    FLAP_STEADY,
    FLAP_WINDOW,
    GROUP_WINDOW,
    HINTS,
    MAX_LISTED,
    MAX_SINGLE,
    RESOLVE_AFTER_PASSES,
    TITLES,
    Plan,
    notice_message,
    plan_notices,
    problem_key,
)

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DONE = RunRecord(1, "monitor", RunStatus.COMPLETED, NOW - timedelta(minutes=3), NOW, {})


def feed(name: str, *, failing_days: float = 0, **changes: object) -> FeedHealth:
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
    if failing_days:
        values |= {
            "last_success_at": NOW - timedelta(days=failing_days),
            "consecutive_failures": 7,
            "last_error": "HTTP 503",
            "last_error_at": NOW - timedelta(minutes=5),
        }
    values.update(changes)
    return FeedHealth(**values)  # type: ignore[arg-type]


def report(
    feeds: Sequence[FeedHealth] = (),
    runs: Sequence[RunRecord] = (DONE,),
    alerts: dict[str, dict[str, int]] | None = None,
) -> HealthReport:
    return assess(NOW, runs, feeds, alerts or {})


def announced(
    key: str, notice_id: int = 7, days: float = 2, id: int = 1, absent: int = 0
) -> Announced:
    """A problem announced earlier; `absent`: passes in a row that have not found it since
    (the next that does not find it resolves it from RESOLVE_AFTER_PASSES - 1 on)."""
    kind, _, subject = key.partition(":")
    began = NOW - timedelta(days=days)
    return Announced(id, key, kind, subject or None, began, began, notice_id, absent)


GONE_ONCE = RESOLVE_AFTER_PASSES - 1  # one pass more without it resolves it


def test_a_problem_that_appears_is_announced_once_in_one_line_with_what_to_do() -> None:
    health = report([feed("wire", failing_days=2), feed("fine")])
    plan = plan_notices(health, [])
    [draft] = plan.drafts
    assert [a.key for a in draft.opens] == ["feed_failing:wire"] and not draft.resolves
    assert draft.thread_of is None
    text = draft.text
    assert "\n" not in text
    assert "*feed failing* — wire https://wire.example/feed" in text
    assert "since 2026-11-30 09:00 UTC" in text  # its last success
    assert "HTTP 503" in text and "`newsmon feeds`" in text
    assert draft.fallback.startswith(":rotating_light: newsmon: feed failing")
    # the same problem, next pass, in other words (more failures): nothing more is said
    later = report([feed("wire", failing_days=3, consecutive_failures=9), feed("fine")])
    assert plan_notices(later, [announced("feed_failing:wire")]).drafts == []


def test_a_problem_gone_is_resolved_once_in_its_notices_thread_with_how_long_it_lasted() -> None:
    wire = announced("feed_failing:wire", notice_id=7, absent=GONE_ONCE)
    plan = plan_notices(report([feed("wire")]), [wire])
    [draft] = plan.drafts
    assert [g.key for g in draft.resolves] == ["feed_failing:wire"] and not draft.opens
    assert draft.thread_of == 7
    assert "*resolved: feed failing* — wire, after 2 days" in draft.text
    assert plan_notices(report([feed("wire")]), []).drafts == []  # nothing announced: silence


def test_healthy_and_unchanged_installations_owe_no_notice() -> None:
    assert plan_notices(report([feed("a"), feed("b")]), []) == Plan([])
    health = report([feed("a", failing_days=2)], alerts={"#x": {"blocked": 3}})
    keys = [problem_key(p) for p in health.problems]
    assert keys == ["feed_failing:a", "alerts_stuck:#x"]
    assert plan_notices(health, [announced(k, id=i) for i, k in enumerate(keys)]).drafts == []


def test_many_problems_at_once_make_one_grouped_notice_and_one_grouped_resolution() -> None:
    feeds = [feed(f"feed-{i:02}", failing_days=2) for i in range(40)]
    plan = plan_notices(report(feeds), [])
    [draft] = plan.drafts
    assert len(draft.opens) == 40
    assert draft.text.startswith(":rotating_light: newsmon: *40 × feed failing* appeared at once")
    assert draft.text.count("\n• ") == MAX_LISTED
    assert "… and 30 more: `newsmon health` lists them" in draft.text
    assert len(draft.text) <= MAX_SECTION_CHARS
    # all recovered in one pass: one resolution, at the top level (several notices announced)
    gone = [announced(f"feed_failing:feed-{i:02}", id=i, absent=GONE_ONCE) for i in range(40)]
    [resolved] = plan_notices(report([feed("x")]), gone).drafts
    assert len(resolved.resolves) == 40 and resolved.thread_of is None
    assert "*40 health problems resolved*" in resolved.text
    # up to MAX_SINGLE at once still get a notice each
    few = plan_notices(report(feeds[:MAX_SINGLE]), [])
    assert [len(d.opens) for d in few.drafts] == [1] * MAX_SINGLE


def test_a_pass_opens_and_resolves_at_once_at_most_two_groups() -> None:
    feeds = [feed(f"new-{i}", failing_days=2) for i in range(5)]
    gone = [announced(f"feed_failing:old-{i}", id=i, absent=GONE_ONCE) for i in range(5)]
    plan = plan_notices(report(feeds), gone)
    assert [(len(d.opens), len(d.resolves)) for d in plan.drafts] == [(5, 0), (0, 5)]
    mixed = plan_notices(report(feeds[:1]), gone[:2])
    assert [(len(d.opens), len(d.resolves)) for d in mixed.drafts] == [(1, 0), (0, 1), (0, 1)]


def test_hostile_error_text_is_escaped_bounded_and_free_of_secrets() -> None:
    hostile = (
        "<!channel> & <https://evil.example|click> "
        + "x" * 5000
        + " via https://user:hunter2@proxy.example/?api_key=sekrit"
    )
    health = report(
        [
            feed(
                "keyed",
                failing_days=2,
                url="https://bob:pw@keyed.example/rss?token=abc123",
                last_error=hostile,
            )
        ]
    )
    [draft] = plan_notices(health, []).drafts
    text = draft.text
    assert "<" not in text and ">" not in text and "<!channel>" not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text
    assert "pw@" not in text and "abc123" not in text and "token=***" in text
    assert len(text) < 1000  # the detail is cut to a few hundred characters
    # the tail with the proxy's credentials was cut off; were it shown, it would be hidden too
    short = report([feed("k", failing_days=2, last_error="via https://u:hunter2@p.example/?key=s")])
    [d] = plan_notices(short, []).drafts
    assert "hunter2" not in d.text and "key=***" in d.text


def test_a_database_url_in_a_failed_pass_is_never_shown() -> None:
    failed = RunRecord(
        2,
        "monitor",
        RunStatus.FAILED,
        NOW - timedelta(minutes=2),
        NOW,
        {},
        "StoreError: cannot reach postgresql+psycopg://newsmon:s3cret@db.internal:5432/newsmon",
    )
    health = report(runs=[failed, DONE])
    assert [p.kind for p in health.problems] == [ProblemKind.LAST_PASS_FAILED]
    [draft] = plan_notices(health, []).drafts
    assert "s3cret" not in draft.text and "db.internal" not in draft.text
    assert "(database URL)" in draft.text and "`newsmon runs`" in draft.text


def test_every_kind_of_problem_has_a_title_and_a_hint_and_is_announced() -> None:
    """A kind added to `newsmon health` without its wording here made every pass that met it
    fail to plan its notices (a KeyError: history_unreadable was such a kind)."""
    assert set(TITLES) == set(ProblemKind) and set(HINTS) == set(ProblemKind)
    health = assess(
        NOW,
        [DONE],
        [],
        {},
        unreadable={"#p": ChannelBlock("#p", "missing_scope", NOW - timedelta(hours=1))},
        digests=[UnfinishedDigest("#p", NOW - timedelta(days=1), NOW, "HTTP 503")],
    )
    plan = plan_notices(health, [])
    shown = " ".join(d.text for d in plan.drafts)
    assert "channel history cannot be read" in shown and "digest not finished" in shown


def test_a_problem_is_resolved_only_once_it_stays_gone_and_one_back_meanwhile_is_not_news() -> None:
    """A share hovering at its threshold (pages unread at 0.5) was announced and resolved pass
    after pass. Gone for one pass: nothing said, its absence counted; found again: the same
    problem still, nothing said, the count back to 0; gone for RESOLVE_AFTER_PASSES: resolved."""
    assert RESOLVE_AFTER_PASSES == 2
    wire = announced("feed_failing:wire", id=3)
    first = plan_notices(report([feed("wire")]), [wire])
    assert first.drafts == [] and first.absences == {3: 1}
    back = plan_notices(
        report([feed("wire", failing_days=2)]), [announced("feed_failing:wire", id=3, absent=1)]
    )
    assert back.drafts == [] and back.absences == {3: 0}
    second = plan_notices(report([feed("wire")]), [announced("feed_failing:wire", id=3, absent=1)])
    [draft] = second.drafts
    assert [g.id for g in draft.resolves] == [3] and second.absences == {}


def test_a_check_between_passes_announces_what_appeared_and_counts_no_pass_without_one() -> None:
    """The start of the pass after one that timed out (`resolve=False`) announces the crash;
    it is not a pass of its own, so a problem it does not find is neither resolved nor counted
    gone: the pass's own check after it would otherwise resolve, in one pass, a problem that
    should wait `RESOLVE_AFTER_PASSES`."""
    timed_out = RunRecord(2, "monitor", RunStatus.CRASHED, NOW, NOW, {}, "cancelled or timed out")
    wire = announced("feed_failing:wire", id=3, absent=GONE_ONCE)
    plan = plan_notices(report([feed("wire")], runs=(timed_out, DONE)), [wire], resolve=False)
    [draft] = plan.drafts
    assert [a.key for a in draft.opens] == ["last_pass_failed"] and not draft.resolves
    assert plan.absences == {}
    quiet = plan_notices(
        report([feed("wire")]), [announced("feed_failing:wire", id=3)], UTC, resolve=False
    )
    assert quiet == Plan([])
    back = announced("feed_failing:wire", id=3, absent=1)
    found = plan_notices(report([feed("wire", failing_days=2)]), [back], resolve=False)
    assert found.drafts == [] and found.absences == {3: 0}  # found again: the count restarts


def test_a_grouped_notice_with_emoji_in_its_errors_fits_one_slack_section() -> None:
    """A grouped notice was cut at 2,900 characters counted in code points; Slack counts UTF-16
    units, so eight feeds whose errors quote a link with emoji in it made a 3,800-unit section:
    Slack refuses it (invalid_blocks), and the refused notice, oldest first, was tried again
    every pass ahead of every later one. The lines shown and the count of the rest still add
    up to the problems announced."""
    error = "entry https://news.example/" + "\U0001f680" * 200 + ": ValueError: bad date"
    for count in (8, 40):
        feeds = [feed(f"feed-{i:02}", failing_days=2, last_error=error) for i in range(count)]
        [draft] = plan_notices(report(feeds), []).drafts
        assert len(draft.opens) == count
        message = notice_message(1, "#ops", draft.text, draft.fallback, None)
        assert limit_violations(message) == []
        assert slack_len(draft.text) <= MAX_SECTION_CHARS
        listed = draft.text.count("\n• ")
        more = count - listed
        assert listed >= 1 and (more == 0 or f"… and {more} more: `newsmon health`" in draft.text)


def test_the_failed_alerts_hint_re_queues_the_window_health_counted() -> None:
    """The hint's `--within` is the health window's, not a fixed 24h: with alerts counted over
    two days, `retry --failed --within 24h` would leave those that failed a day and more ago
    unsent while the notice says it re-queues them."""
    policy = HealthPolicy(failed_alerts_within=timedelta(hours=48))
    health = assess(NOW, [DONE], [], {}, policy=policy, failed={"#ok": 2})
    [draft] = plan_notices(health, []).drafts
    hint = draft.text.split("What to do: ", 1)[1]
    assert "`newsmon alerts retry --failed --within 48h`" in hint
    assert "24h" not in draft.text


def streak(problem: Announced, plan: Plan, now: datetime) -> Announced:
    """`problem` after the pass of `plan`, as `HealthNotices.record` updates it."""
    if problem.id in [s.id for s in plan.steady]:
        problem = replace(problem, steady_at=now)
    absent = plan.absences.get(problem.id)
    if absent is None:
        return problem
    if absent:
        return replace(problem, absent_passes=absent, absent_since=problem.absent_since or now)
    return replace(problem, absent_passes=0, absent_since=None, present_since=now)


def passes(failed: Sequence[bool]) -> list[tuple[int, int, int]]:
    """Passes every 20 minutes whose newest run failed or not, each decided from what the
    ones before recorded (as `HealthNotices.record` keeps it): (pass, opened, resolved) of
    each pass that said something, plus the flapping ones opened as (pass, -1, 0)."""
    open_: list[Announced] = []
    resolved: dict[str, datetime] = {}
    said: list[tuple[int, int, int]] = []
    for i, bad in enumerate(failed):
        now = NOW + timedelta(minutes=20 * i)
        run = RunRecord(
            i + 2,
            "monitor",
            RunStatus.FAILED if bad else RunStatus.COMPLETED,
            now - timedelta(minutes=2),
            now,
            {},
            "crashed" if bad else None,
        )
        done = replace(
            DONE, started_at=now - timedelta(minutes=25), finished_at=now - timedelta(minutes=20)
        )
        health = assess(now, [run, done], [], {})
        recent = {k: at for k, at in resolved.items() if now - at <= FLAP_WINDOW}
        plan = plan_notices(health, open_, resolved=recent)
        for a in plan.opened:
            last = resolved.get(a.key)
            open_.append(
                Announced(i, a.key, a.problem.kind.value, None, now, None, i, 0, last, now)
            )
        for g in plan.resolved:
            open_.remove(g)
            resolved[g.key] = now
        open_ = [streak(a, plan, now) for a in open_]
        if plan.drafts:
            said.append((i, -1 if plan.flapping else len(plan.opened), len(plan.resolved)))
    return said


def test_a_problem_that_comes_and_goes_is_said_flapping_once_and_resolved_once_stable() -> None:
    """A pass failing one time in three was announced and resolved every hour, for as long as
    it lasted: a channel people learn to ignore. Found again within FLAP_WINDOW of its
    resolution, it is announced once as flapping, then nothing until it stays gone."""
    flaky = [i % 3 == 2 for i in range(36)]  # 12 hours
    quiet = FLAP_QUIET // timedelta(minutes=20)  # passes after the first that missed it
    stable = [False] * (quiet + 10)
    said = passes(flaky + stable)
    assert said == [(2, 1, 0), (4, 0, 1), (5, -1, 0), (36 + quiet, 0, 1)]
    # a problem back long after its resolution is a new problem, announced as one
    late = [i in (2, 24 + 2) for i in range(24 + 2 + 10)]  # back 8 hours later
    assert [s for s in passes(late) if s[1]] == [(2, 1, 0), (26, 1, 0)]


def test_a_flapping_notice_says_so_and_its_resolution_says_it_stayed_away() -> None:
    failed = RunRecord(2, "monitor", RunStatus.CRASHED, NOW - timedelta(minutes=2), NOW, {}, "x")
    health = report(runs=[failed, DONE])
    key = "last_pass_failed"
    [draft] = plan_notices(health, [], resolved={key: NOW - timedelta(minutes=40)}).drafts
    assert draft.opens[0].flapping
    assert "*Flapping*: back 40 min after it was resolved" in draft.text
    assert "resolved once no pass has found it for 3 h" in draft.text
    [plain] = plan_notices(health, [], resolved={key: NOW - FLAP_WINDOW * 2}).drafts
    assert not plain.opens[0].flapping and "Flapping" not in plain.text
    flaps = replace(announced(key, days=0.2), last_resolved=NOW - timedelta(hours=5))
    gone = replace(flaps, absent_passes=5, absent_since=NOW - FLAP_QUIET + timedelta(minutes=1))
    assert plan_notices(report(), [gone]).drafts == []
    quiet = replace(gone, absent_since=NOW - FLAP_QUIET)
    [resolved] = plan_notices(report(), [quiet]).drafts
    assert "not found for 3 h" in resolved.text


def test_a_problem_of_a_kind_announced_just_before_joins_its_thread() -> None:
    """Feeds down for one cause run out their 24 hours pass after pass: each was a top-level
    notice. One appearing within GROUP_WINDOW of an open one of its kind goes in its thread."""
    earlier = replace(announced("feed_failing:a", notice_id=7), opened_at=NOW - GROUP_WINDOW / 2)
    health = report([feed("a", failing_days=2), feed("b", failing_days=2)])
    [draft] = plan_notices(health, [earlier]).drafts
    assert [a.key for a in draft.opens] == ["feed_failing:b"] and draft.thread_of == 7
    many = report([feed("a", failing_days=2)] + [feed(f"n{i}", failing_days=2) for i in range(5)])
    [grouped] = plan_notices(many, [earlier]).drafts
    assert len(grouped.opens) == 5 and grouped.thread_of == 7
    old = replace(earlier, opened_at=NOW - GROUP_WINDOW * 2)  # long ago: a problem of its own
    assert [d.thread_of for d in plan_notices(health, [old]).drafts] == [None]
    stuck = replace(announced("alerts_stuck:#x", notice_id=8), opened_at=NOW)
    assert [d.thread_of for d in plan_notices(health, [earlier, stuck]).drafts] == [7]


def test_a_flapping_problem_found_in_every_pass_for_a_while_is_said_steady_once() -> None:
    """Flapping, then there for good: the *Flapping* notice ("it comes and goes") stayed the
    last word. Found in every pass for FLAP_STEADY, it is said once, at the top level."""
    failed = RunRecord(2, "monitor", RunStatus.CRASHED, NOW - timedelta(minutes=2), NOW, {}, "x")
    health = report(runs=[failed, DONE])
    flaps = replace(
        announced("last_pass_failed", notice_id=7, days=0.5),
        last_resolved=NOW - timedelta(hours=13),
    )
    assert plan_notices(health, [replace(flaps, present_since=NOW - FLAP_STEADY / 2)]).drafts == []
    there = replace(flaps, present_since=NOW - FLAP_STEADY)
    plan = plan_notices(health, [there])
    [draft] = plan.drafts
    assert plan.steady == [there] and draft.thread_of is None and not draft.opens
    assert draft.fallback.startswith(":rotating_light: newsmon: steady now, no longer flapping")
    assert "It flapped, and every pass has found it since 2026-12-02 06:00 UTC" in draft.text
    assert plan_notices(health, [replace(there, steady_at=NOW)]).drafts == []  # said once
    assert plan_notices(health, [replace(there, absent_passes=1)]).steady == []  # back: not yet
    plain = replace(there, last_resolved=None)  # never flapped: announced, nothing more
    assert plan_notices(health, [plain]).drafts == []
