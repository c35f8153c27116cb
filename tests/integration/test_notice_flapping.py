"""A problem that comes and goes (a pass failing one time in three: a flaky proxy, a crash now
and then) in the operations channel, through the real store (SQLite and PostgreSQL) and the
fake Slack: announced and resolved once, then said once to be flapping, nothing more while it
flaps, and resolved once when it has stayed away for a while. Before, the channel got an
"announce" / "resolved" pair every hour, for as long as it lasted. And feeds one cause took down,
whose 24 hours run out pass after pass: told in one thread, not one top-level notice each."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from newsmon.clock import utcnow
from newsmon.corpus.records import FeedHealth, RunRecord, RunStatus
from newsmon.health import HealthReport, ProblemKind, assess
from newsmon.notices import FLAP_QUIET, NOTICE_EVENT
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
        for _ in range(FLAP_QUIET // PASS_EVERY):  # stable again, for a while
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


def failing_feeds(now: datetime, last_success: dict[str, datetime]) -> HealthReport:
    """Feeds that have failed since their last success (DNS down for all of them)."""
    done = RunRecord(1, "monitor", RunStatus.COMPLETED, now - timedelta(minutes=2), now, DONE)
    feeds = [
        FeedHealth(
            name,
            f"https://{name}.example/feed",
            now - timedelta(minutes=5),
            ok,
            "DNS lookup failed" if ok < now - timedelta(minutes=5) else None,
            now - timedelta(minutes=5),
            9 if ok < now - timedelta(minutes=5) else 0,
            10,
            3,
            last_new_at=now - timedelta(hours=1),
        )
        for name, ok in last_success.items()
    ]
    return assess(now, [done], feeds, {})


def test_feeds_taken_down_by_one_cause_are_told_in_one_thread_not_one_by_one(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """DNS went down for eight feeds at once; each had last worked at its own poll, minutes
    apart, so their 24 hours of failing ran out pass after pass: the operations channel got a
    notice per feed, one by one, over an hour. The first is posted at the top level; those of
    the same kind that follow within `GROUP_WINDOW` go in its thread, each once, and each is
    resolved once, in that thread."""
    config = config_path(tmp_path, db_url, ops_channel=OPS)
    ctx = context(config, fake)
    down = utcnow() - timedelta(days=1)  # DNS broke then
    last_ok = {f"feed-{i}": down - timedelta(minutes=8 * i) for i in range(8)}
    try:
        now = down + timedelta(days=1, minutes=-70)
        opened = 0
        for _ in range(6):  # two hours of passes: the 24 hours of each run out one by one
            now += PASS_EVERY
            opened += announce_health(ctx, failing_feeds(now, last_ok)).opened
        assert opened == 8
        [first] = fake.top_level(OPS)  # before: 5 notices at the top level
        texts = [p["blocks"][0]["text"]["text"] for p in fake.posts]
        assert all(sum(f"{name} https://" in t for t in texts) == 1 for name in last_ok)
        assert all(p["thread_ts"] == first["ts"] for p in fake.replies())
        last_ok["feed-5"] = now  # one feed back: resolved in the thread of the first notice
        for _ in range(2):
            now += PASS_EVERY
            announce_health(ctx, failing_feeds(now, last_ok))
        assert fake.posts[-1]["thread_ts"] == first["ts"]
        assert "resolved: feed failing* — feed-5" in fake.posts[-1]["blocks"][0]["text"]["text"]
        for name in last_ok:  # DNS is back
            last_ok[name] = now
        for _ in range(3):
            now += PASS_EVERY
            announce_health(ctx, failing_feeds(now, last_ok))
        assert ctx.store.notices.state().announced == []
        assert ctx.store.notices.state().waiting == 0
        posted = fake.metadata_ids(NOTICE_EVENT)
        assert len(posted) == len(set(posted))
    finally:
        ctx.close()
