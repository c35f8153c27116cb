"""A flapping problem settles, one way or the other, through the real store (SQLite and
PostgreSQL) and the fake Slack. Found in every pass for `FLAP_STEADY`: the operations channel is
told once, at the top level, that it no longer comes and goes (before, the *Flapping* notice
stayed the last word while it was down for good). Gone: resolved once no pass has found it for
`FLAP_QUIET`, whatever the schedule (before, 9 passes: 45 minutes on a 5-minute schedule, so a
problem back every 3 hours was announced and resolved every time, and 9 hours hourly)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.clock import utcnow
from newsmon.corpus.records import FeedHealth, RunRecord, RunStatus
from newsmon.health import HealthReport, ProblemKind, assess
from newsmon.notices import FLAP_QUIET, FLAP_STEADY, NOTICE_EVENT
from newsmon.pipeline.notices import NoticeOutcome, announce_health
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack

OPS = "#ops"
FAILED = {"feeds_ok": 0, "feeds_failed": 4}  # every feed tried failed: the proxy was down
DONE = {"feeds_ok": 4, "feeds_failed": 0}


class Passes:
    """Monitoring passes `every` apart, as the runs table keeps them, newest first."""

    def __init__(self, start: datetime, every: timedelta) -> None:
        self.now = start
        self.every = every
        self.runs: list[RunRecord] = []

    def run(self, failed: bool) -> HealthReport:
        self.now += self.every
        status, summary = (RunStatus.FAILED, FAILED) if failed else (RunStatus.COMPLETED, DONE)
        error = "every feed tried failed (4): a: proxy refused" if failed else None
        started = self.now - timedelta(minutes=2)
        run = RunRecord(len(self.runs) + 1, "monitor", status, started, self.now, summary, error)
        self.runs.insert(0, run)
        report = assess(self.now, self.runs[:48], [], {})
        assert [p.kind for p in report.problems] == ([ProblemKind.LAST_PASS_FAILED] * failed)
        return report


def unread(now: datetime, share_high: bool) -> HealthReport:
    """A pass that completed, and a feed whose share of pages unread hovers at the threshold
    (one half): above it (`share_high`) it is `pages_unread`."""
    done = RunRecord(1, "monitor", RunStatus.COMPLETED, now - timedelta(minutes=2), now, DONE)
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
        recent_unread=7 if share_high else 5,
        last_page_error="HTTP 403",
    )
    report = assess(now, [done], [feed], {})
    assert [p.kind for p in report.problems] == [ProblemKind.PAGES_UNREAD] * share_high
    return report


def test_a_flapping_problem_there_for_good_is_said_steady_once_at_the_top_level(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A site blocks some page downloads (the share unread hovers at one half: flapping), then
    all of them. Before, the *Flapping* notice ("it comes and goes") stayed the last word."""
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    every = timedelta(minutes=20)
    now = utcnow() - timedelta(days=2)
    outcomes: list[NoticeOutcome] = []
    try:
        for i in range(12):  # above the threshold every third pass: flapping
            now += every
            outcomes.append(announce_health(ctx, unread(now, i % 3 == 2)))
        assert [o.flapping for o in outcomes].count(1) == 1
        assert len(fake.metadata_ids(NOTICE_EVENT)) == 3
        health = CliRunner().invoke(app, ["health", "--config", str(config)])
        assert f"announced in {OPS}: pages_unread wire (flapping" in health.output

        for _ in range(int((FLAP_STEADY + timedelta(hours=12)) / every)):
            now += every
            outcomes.append(announce_health(ctx, unread(now, True)))  # blocked for good
        # before: nothing after the *Flapping* notice, however long it stayed
        assert len(fake.metadata_ids(NOTICE_EVENT)) == 4
        assert sum(o.steady for o in outcomes) == 1
        steady = fake.posts[-1]
        assert not steady.get("thread_ts")  # it notifies the channel
        assert "*article pages cannot be read* — wire" in steady["blocks"][0]["text"]["text"]
        health = CliRunner().invoke(app, ["health", "--config", str(config)])
        assert f"announced in {OPS}: pages_unread wire (steady" in health.output

        for _ in range(int((FLAP_QUIET + timedelta(hours=3)) / every)):
            now += every
            announce_health(ctx, unread(now, False))
        posted = fake.metadata_ids(NOTICE_EVENT)
        assert len(posted) == 5 and len(set(posted)) == 5  # resolved once
        assert fake.posts[-1]["thread_ts"] == steady["ts"]
        assert ctx.store.notices.state().announced == []
    finally:
        ctx.close()


@pytest.mark.parametrize("every_minutes", [5, 60])
def test_a_flapping_problem_is_resolved_after_quiet_hours_whatever_the_schedule(
    tmp_path: Path, db_url: str, fake: FakeSlack, every_minutes: int
) -> None:
    """One pass in 3 hours fails for 12 hours, then none: announced, resolved, flapping, and
    resolved once `FLAP_QUIET` after the first pass that missed it."""
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    every = timedelta(minutes=every_minutes)
    passes = Passes(utcnow() - timedelta(days=2), every)
    start = passes.now
    try:
        said: list[tuple[timedelta, int, int, int]] = []  # when, opened, flapping, resolved
        last_failure = start
        while passes.now - start < timedelta(hours=20):
            elapsed = passes.now + every - start
            failed = elapsed <= timedelta(hours=12) and elapsed % timedelta(hours=3) == timedelta()
            outcome = announce_health(ctx, passes.run(failed))
            assert outcome.error is None, outcome
            last_failure = passes.now if failed else last_failure
            if outcome.opened or outcome.resolved:
                said.append((elapsed, outcome.opened, outcome.flapping, outcome.resolved))
        # before, on a 5-minute schedule: resolved 45 minutes after each failure and flapping
        # again at the next, 8 notices; hourly: still open 8 hours after the last failure
        assert [s[1:] for s in said] == [(1, 0, 0), (0, 0, 1), (1, 1, 0), (0, 0, 1)]
        resolved_at = start + said[-1][0]
        assert FLAP_QUIET <= resolved_at - (last_failure + every) < FLAP_QUIET + every
        assert len(fake.metadata_ids(NOTICE_EVENT)) == 4
    finally:
        ctx.close()
