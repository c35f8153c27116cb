"""When health notices resolve a problem, or say a flapping one is steady, over realistic
sequences of passes: the schedule's passes, a run seconds after one of them (a manual `newsmon
run`, a retry, a second deployment), a pause of the schedule. Pure: `plan_notices` on reports
made by `assess` from the runs as the runs table keeps them, each pass decided from what the
ones before recorded (as `HealthNotices.record` keeps it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from newsmon.corpus.records import Announced, FeedHealth, RunRecord, RunStatus
from newsmon.health import HealthReport, ProblemKind, assess
from newsmon.notices import (
    FLAP_QUIET,
    FLAP_STEADY,
    FLAP_WINDOW,
    Plan,
    plan_notices,
    resumed_at,
)

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
EVERY = timedelta(minutes=20)  # the deployment's schedule
FAILED = {"feeds_ok": 0, "feeds_failed": 4}  # every feed tried failed: the proxy was down
DONE = {"feeds_ok": 4, "feeds_failed": 0}
Slot = tuple[datetime, bool]  # a pass ending then, finding the problem or not


@dataclass(frozen=True)
class Said:
    """What one pass told the operations channel about the problem watched."""

    at: datetime
    opened: bool = False
    flapping: bool = False
    resolved: bool = False
    steady: bool = False


def unread(now: datetime, high: bool) -> list[FeedHealth]:
    """A feed whose share of pages unread hovers at one half: above it (`high`), a problem."""
    return [
        FeedHealth(
            "wire",
            "https://wire.example/feed",
            now - timedelta(minutes=5),
            now - timedelta(minutes=5),
            None,
            None,
            0,
            10,
            3,
            last_new_at=now - timedelta(hours=1),
            recent_articles=12,
            recent_unread=7 if high else 5,
            last_page_error="HTTP 403",
        )
    ]


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


def run_passes(passes: Sequence[tuple[datetime, bool]], kind: ProblemKind) -> list[Said]:
    """Passes at the times given, each finding the problem (True) or not: with `kind`
    `last_pass_failed` the pass itself fails (every feed tried failed); with `pages_unread`
    it completes and its feed's share unread is above the threshold. Returns what each pass
    said about that problem, when it said something."""
    runs: list[RunRecord] = []
    open_: list[Announced] = []
    resolved: dict[str, datetime] = {}
    said: list[Said] = []
    for i, (now, found) in enumerate(passes):
        fails = found and kind is ProblemKind.LAST_PASS_FAILED
        status, summary = (RunStatus.FAILED, FAILED) if fails else (RunStatus.COMPLETED, DONE)
        error = "every feed tried failed (4): a: proxy refused" if fails else None
        started = now - timedelta(minutes=2)
        runs.insert(0, RunRecord(i + 1, "monitor", status, started, now, summary, error))
        feeds = unread(now, found) if kind is ProblemKind.PAGES_UNREAD else []
        health: HealthReport = assess(now, runs[:48], feeds, {})
        assert (kind in [p.kind for p in health.problems]) == found
        recent = {k: at for k, at in resolved.items() if now - at <= FLAP_WINDOW}
        plan = plan_notices(health, open_, resolved=recent)
        for a in plan.opened:
            last = resolved.get(a.key)
            open_.append(Announced(i, a.key, a.problem.kind.value, a.problem.subject, now, None, i))
            open_[-1] = replace(open_[-1], last_resolved=last, present_since=now)
        for g in plan.resolved:
            open_.remove(g)
            resolved[g.key] = now
        open_ = [streak(a, plan, now) for a in open_]
        mine = Said(
            now,
            opened=any(a.problem.kind is kind for a in plan.opened),
            flapping=any(a.problem.kind is kind for a in plan.flapping),
            resolved=any(g.kind == kind.value for g in plan.resolved),
            steady=any(s.kind == kind.value for s in plan.steady),
        )
        if mine != Said(now):
            said.append(mine)
    return said


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def scheduled(first: float, last: float, found: bool) -> list[tuple[datetime, bool]]:
    """The schedule's passes from minute `first` to minute `last`, all finding or not."""
    return [(at(m), found) for m in range(int(first), int(last) + 1, 20)]


def test_a_run_seconds_after_a_scheduled_pass_does_not_resolve_a_problem_by_itself() -> None:
    """A flaky proxy fails one pass in three on the 20-minute schedule: announced, then
    nothing while it is found again after a single pass without it. A `newsmon run` (or a
    retry, a second deployment) 40 seconds after the 10:20 pass was the second pass without
    it: "resolved" at 10:20, and at 10:40, found again, announced as flapping — two notices
    about a problem that never went. Resolution needs passes at least `RESOLVE_QUIET` apart."""
    fails = ProblemKind.LAST_PASS_FAILED
    before = [*scheduled(0, 40, False), (at(60), True), (at(80), False)]
    after = [(at(100), True), *scheduled(120, 200, False)]
    plain = run_passes(before + after, fails)
    assert plain == [Said(at(60), opened=True), Said(at(140), resolved=True)]
    manual = [*before, (at(80) + timedelta(seconds=40), False), *after]
    assert run_passes(manual, fails) == plain  # before: resolved at 10:20, flapping at 10:40
    # two runs in each slot (two deployments): the same
    doubled = sorted(manual + [(t + timedelta(seconds=30), f) for t, f in manual])
    assert run_passes(doubled, fails) == plain


def test_steady_is_said_after_hours_of_passes_finding_it_not_after_a_pause() -> None:
    """A flapping problem (pages unread hovering at one half) found at 11:00, then the schedule
    paused 4 hours (the Prefect server down): the first pass after it was said "steady now,
    every pass has found it since 11:00" — two passes, and the 4 hours nobody looked counted
    as presence. Presence counts across passes only, none further apart than twice the
    schedule's spacing: steady is said 3 hours after the schedule resumed."""
    unread_ = ProblemKind.PAGES_UNREAD
    flaps = [*scheduled(0, 40, False), (at(60), True), (at(80), False), (at(100), False)]
    flaps += [(at(120), True)]  # back within FLAP_WINDOW of its resolution: flapping
    expected = [
        Said(at(60), opened=True),
        Said(at(100), resolved=True),
        Said(at(120), opened=True, flapping=True),
    ]
    steady_from = at(120) + FLAP_STEADY  # found in every pass from 11:00
    on_time = run_passes(flaps + scheduled(140, 480, True), unread_)
    assert on_time == [*expected, Said(steady_from, steady=True)]
    resumed = at(120) + timedelta(hours=4)
    paused = flaps + [(t + timedelta(hours=4) - EVERY, f) for t, f in scheduled(140, 480, True)]
    assert paused[len(flaps)][0] == resumed
    # before: steady at the first pass after the pause
    assert run_passes(paused, unread_) == [*expected, Said(resumed + FLAP_STEADY, steady=True)]
    # a second run 30 seconds after each scheduled one (two deployments) is no pause
    runs = flaps + scheduled(140, 480, True)
    doubled = sorted(runs + [(t + timedelta(seconds=30), f) for t, f in runs])
    assert [s for s in run_passes(doubled, unread_) if s.steady] == [Said(steady_from, steady=True)]


def every(spacing: timedelta, first: timedelta, last: timedelta, found: bool) -> list[Slot]:
    """Passes `spacing` apart from `first` to `last` after `START`, all finding or not."""
    count = int((last - first) / spacing) + 1
    return [(START + first + i * spacing, found) for i in range(count)]


@pytest.mark.parametrize("hours", [1, 6])
def test_a_manual_run_on_a_slow_schedule_is_no_second_look(hours: int) -> None:
    """An hourly (or 6-hourly) schedule; a flaky proxy fails a pass now and then. A `newsmon
    run` a quarter of the spacing after a clean pass was the second clean pass, over the fixed
    10 minutes: "resolved", then at the next scheduled pass, failing again, announced as
    *Flapping* — two notices about a problem that never went. The quiet a resolution needs
    follows the schedule's spacing as the recorded passes show it."""
    spacing = timedelta(hours=hours)
    fails = ProblemKind.LAST_PASS_FAILED
    before = [*every(spacing, 0 * spacing, 3 * spacing, False), (START + 4 * spacing, True)]
    before += [(START + 5 * spacing, False)]
    after = [*every(spacing, 6 * spacing, 6 * spacing, True)]
    after += every(spacing, 7 * spacing, 9 * spacing, False)
    plain = run_passes(before + after, fails)
    assert plain == [
        Said(START + 4 * spacing, opened=True),
        Said(START + 8 * spacing, resolved=True),
    ]
    manual = [*before, (START + 5 * spacing + spacing / 4, False), *after]
    # before: resolved at the manual run, announced as flapping at the next scheduled pass
    assert run_passes(manual, fails) == plain


def test_a_pause_of_the_schedule_is_no_quiet_time_for_a_flapping_problem() -> None:
    """A flapping problem (a pass failing now and then) not found by the last pass before the
    schedule paused for a day: the first pass after the pause resolved it (no pass had found
    it for 24 hours: none had looked), and the next one failing announced it again as
    *Flapping*. `FLAP_QUIET` counts the passes' time only: from the first pass after a pause."""
    fails = ProblemKind.LAST_PASS_FAILED
    flaps = [*scheduled(0, 40, False), (at(60), True), (at(80), False), (at(100), False)]
    flaps += [(at(120), True), (at(140), False)]  # flapping, then the schedule pauses a day
    day = timedelta(days=1)
    resumed = [(t + day, f) for t, f in scheduled(160, 200, False)]
    resumed += [(at(220) + day, True)]  # it comes and goes still
    resumed += [(t + day, f) for t, f in scheduled(240, 480, False)]
    said = run_passes(flaps + resumed, fails)
    assert said == [
        Said(at(60), opened=True),
        Said(at(100), resolved=True),
        Said(at(120), opened=True, flapping=True),
        # before: resolved at 160 + 1 day, and flapping again at 220 + 1 day
        Said(at(240) + day + FLAP_QUIET, resolved=True),
    ]


def test_passes_seconds_apart_that_jitter_are_no_pause() -> None:
    """Passes run by hand or by tests seconds apart, one gap three times the others (a slow
    pass): that was taken for a pause of the schedule, and a flapping problem's quiet time
    began anew there, so it was not resolved after `FLAP_QUIET` (the flapping flow test failed
    1 run in 2). A pause is at least an hour; an hour-long gap on a 20-minute schedule is one."""
    seconds = [START + timedelta(seconds=s) for s in (0, 1, 2, 3, 4, 7, 8, 9, 10)]
    assert resumed_at(seconds) is None
    scheduled = [START + i * EVERY for i in range(6)]
    later = scheduled[-1] + timedelta(minutes=80)
    assert resumed_at([*scheduled, later]) == later
