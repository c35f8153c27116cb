"""Health notices over passes that are not evenly spaced, through the real store (SQLite and
PostgreSQL) and the fake Slack: a run seconds after a scheduled pass (a manual `newsmon run`, a
retry, a second deployment) and a pause of the schedule (the Prefect server down for hours).
Before, the first resolved a problem that had not had the chance to show up again (then
announced it as flapping at the next pass), and the second made two passes "steady"."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from newsmon.clock import utcnow
from newsmon.corpus.records import FeedHealth, RunRecord, RunStatus
from newsmon.health import HealthReport, ProblemKind, assess
from newsmon.notices import FLAP_STEADY, NOTICE_EVENT
from newsmon.pipeline.notices import NoticeOutcome, announce_health
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack

OPS = "#ops"
EVERY = timedelta(minutes=20)  # the deployment's schedule
FAILED = {"feeds_ok": 0, "feeds_failed": 4}  # every feed tried failed: the proxy was down
DONE = {"feeds_ok": 4, "feeds_failed": 0}


class Passes:
    """Monitoring passes at the times given, as the runs table keeps them, newest first."""

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []

    def run(self, now: datetime, failed: bool, unread: bool = False) -> HealthReport:
        """A pass ending at `now`: failed (every feed failed) or not, its feed's share of pages
        unread above one half (`unread`) or not."""
        status, summary = (RunStatus.FAILED, FAILED) if failed else (RunStatus.COMPLETED, DONE)
        error = "every feed tried failed (4): a: proxy refused" if failed else None
        started = now - timedelta(minutes=2)
        run = RunRecord(len(self.runs) + 1, "monitor", status, started, now, summary, error)
        self.runs.insert(0, run)
        feed = FeedHealth(
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
            recent_unread=7 if unread else 5,
            last_page_error="HTTP 403",
        )
        return assess(now, self.runs[:48], [feed], {})


def test_a_manual_run_right_after_a_scheduled_pass_resolves_nothing_by_itself(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """The proxy fails the 10:00 pass; the 10:20 pass works, and so does a `newsmon run` 40
    seconds later; the 10:40 pass fails again. Before: "resolved" at 10:20:40, then the same
    problem announced again as *Flapping* at 10:40. Now it stays one open problem, resolved
    once the schedule's passes no longer find it."""
    ctx = context(config_path(tmp_path, db_url, ops_channel=OPS), fake)
    passes = Passes()
    start = utcnow() - timedelta(days=1)
    try:
        said: list[tuple[timedelta, NoticeOutcome]] = []
        plan = [(0, False), (20, False), (40, False), (60, True), (80, False), (80.67, False)]
        plan += [(100, True), (120, False), (140, False), (160, False)]
        for minutes, failed in plan:
            now = start + timedelta(minutes=minutes)
            outcome = announce_health(ctx, passes.run(now, failed))
            assert outcome.error is None, outcome
            if outcome.opened or outcome.resolved:
                said.append((now - start, outcome))
        assert [(at, o.opened, o.flapping, o.resolved) for at, o in said] == [
            (timedelta(minutes=60), 1, 0, 0),
            (timedelta(minutes=140), 0, 0, 1),
        ]
        assert len(fake.metadata_ids(NOTICE_EVENT)) == 2
        assert fake.posts[-1]["thread_ts"] == fake.posts[0]["ts"]
        assert ctx.store.notices.state().announced == []
    finally:
        ctx.close()


def test_a_flapping_problem_is_not_steady_for_the_hours_no_pass_ran(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """Pages unread hover at one half: announced, resolved, back: flapping (11:00). Then the
    schedule stops for 4 hours. Before, the first pass after the pause said it "steady now"
    (every pass had found it since 11:00: two passes). Now it is said steady once the passes
    after the pause have found it for `FLAP_STEADY`."""
    ctx = context(config_path(tmp_path, db_url, ops_channel=OPS), fake)
    passes = Passes()
    start = utcnow() - timedelta(days=1)
    try:
        flaps = [(0, False), (20, False), (40, False), (60, True), (80, False), (100, False)]
        flaps.append((120, True))
        outcomes: list[NoticeOutcome] = []
        for minutes, high in flaps:
            now = start + timedelta(minutes=minutes)
            outcomes.append(announce_health(ctx, passes.run(now, False, unread=high)))
        assert [o.flapping for o in outcomes] == [0] * 6 + [1]
        resumed = now + timedelta(hours=4)
        steady_at: list[timedelta] = []
        for i in range(int(FLAP_STEADY / EVERY) + 3):  # every pass finds it from then on
            now = resumed + i * EVERY
            outcome = announce_health(ctx, passes.run(now, False, unread=True))
            assert outcome.error is None, outcome
            steady_at += [now - resumed] * outcome.steady
        assert steady_at == [FLAP_STEADY]  # before: [0:00:00], the first pass after the pause
        assert len(fake.metadata_ids(NOTICE_EVENT)) == 4  # announced, resolved, flapping, steady
        [problem] = ctx.store.notices.state().announced
        assert problem.kind == ProblemKind.PAGES_UNREAD.value and problem.steady_at is not None
    finally:
        ctx.close()
