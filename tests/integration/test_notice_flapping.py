"""A problem that comes and goes (a pass failing one time in three: a flaky proxy, a crash now
and then) in the operations channel, through the real store (SQLite and PostgreSQL) and the
fake Slack: announced and resolved once, then said once to be flapping, nothing more while it
flaps, and resolved once when it has stayed away for a while. Before, the channel got an
"announce" / "resolved" pair every hour, for as long as it lasted."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from newsmon.clock import utcnow
from newsmon.corpus.records import RunRecord, RunStatus
from newsmon.health import HealthReport, ProblemKind, assess
from newsmon.notices import FLAP_RESOLVE_AFTER_PASSES, NOTICE_EVENT
from newsmon.pipeline.notices import announce_health
from tests.support.delivery import config_path, context
from tests.support.fake_slack import FakeSlack

OPS = "#ops"
PASS_EVERY = timedelta(minutes=20)  # the deployment's schedule
FAILED = {"feeds_ok": 0, "feeds_failed": 4}  # every feed tried failed: the proxy was down
DONE = {"feeds_ok": 4, "feeds_failed": 0}


class Passes:
    """Monitoring passes one after the other, as the runs table keeps them, newest first."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.runs: list[RunRecord] = []

    def run(self, failed: bool) -> HealthReport:
        self.now += PASS_EVERY
        status, summary = (RunStatus.FAILED, FAILED) if failed else (RunStatus.COMPLETED, DONE)
        error = "every feed tried failed (4): a: proxy refused" if failed else None
        started = self.now - timedelta(minutes=2)
        run = RunRecord(len(self.runs) + 1, "monitor", status, started, self.now, summary, error)
        self.runs.insert(0, run)
        return assess(self.now, self.runs[:48], [], {})


def test_a_pass_failing_one_time_in_three_is_not_announced_and_resolved_every_hour(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    passes = Passes(utcnow() - timedelta(days=1))
    try:
        said: list[tuple[int, int, int, int]] = []  # pass, opened, of which flapping, resolved
        for i in range(36):  # 12 hours, every third pass failed
            report = passes.run(failed=i % 3 == 2)
            assert [p.kind for p in report.problems] == (
                [ProblemKind.LAST_PASS_FAILED] if i % 3 == 2 else []
            )
            outcome = announce_health(ctx, report)
            assert outcome.error is None, outcome
            if outcome.opened or outcome.resolved:
                said.append((i, outcome.opened, outcome.flapping, outcome.resolved))
        # announced, resolved, found again: flapping, said once; before, 23 notices
        assert said == [(2, 1, 0, 0), (4, 0, 0, 1), (5, 1, 1, 0)]
        posted = fake.metadata_ids(NOTICE_EVENT)
        assert len(posted) == 3 and len(set(posted)) == 3
        [open_problem] = ctx.store.notices.state().announced
        assert open_problem.kind == ProblemKind.LAST_PASS_FAILED.value
        for _ in range(FLAP_RESOLVE_AFTER_PASSES - 1):  # stable again, for a while
            assert announce_health(ctx, passes.run(failed=False)).resolved == 0
        assert announce_health(ctx, passes.run(failed=False)).resolved == 1
        assert len(fake.metadata_ids(NOTICE_EVENT)) == 4  # resolved once
        flapping, resolved = fake.posts[-2:]
        assert resolved["thread_ts"] == flapping["ts"]
        assert ctx.store.notices.state().announced == []
        for _ in range(12):
            announce_health(ctx, passes.run(failed=False))
        assert len(fake.metadata_ids(NOTICE_EVENT)) == 4
    finally:
        ctx.close()
