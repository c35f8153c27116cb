"""A digest call that never got to its digests (killed by a worker restart at 09:00, timed out,
crashed on the database) left no digest begun: `newsmon health` and the operations channel,
which speak of digests begun and not finished, said nothing while the team's daily digest did
not come, day after day. SQLite and PostgreSQL, the real store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from newsmon.clock import utcnow
from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, RunStatus
from newsmon.corpus.schema import DigestRow
from newsmon.health_kinds import ProblemKind
from newsmon.pipeline.checkup import health_report
from tests.support.delivery import config_path


def digest_run(store: Store, status: RunStatus, error: str | None, **summary: int) -> int:
    run_id = store.runs.start_run("digest", utcnow() - timedelta(minutes=40))
    store.runs.finish_run(run_id, status, summary or None, error)
    return run_id


def named(store: Store, config: Path, run_id: int) -> list[str]:
    report = health_report(store, load_config(config), utcnow())
    return [f"{p.kind.value}: {p.message}" for p in report.problems if f"#{run_id}" in p.message]


def test_a_digest_call_that_stopped_before_its_digests_is_a_problem_until_one_completes(
    tmp_path: Path, db_url: str
) -> None:
    config = config_path(tmp_path, db_url)
    store = Store.open(db_url)
    try:
        crashed = digest_run(store, RunStatus.CRASHED, "cancelled or timed out (CancelledError)")
        [line] = named(store, config, crashed)
        assert line.startswith(f"{ProblemKind.DIGEST_FAILED.value}: digest run #{crashed}")
        assert "cancelled or timed out" in line

        # a later call that ran to its end (here with nothing to post) clears it
        digest_run(store, RunStatus.COMPLETED, None, channels=0)
        assert named(store, config, crashed) == []

        # a call that ran to its end and failed (a digest left for a later call) is
        # `digest_unfinished`'s to tell, per channel, not a second problem
        left = digest_run(store, RunStatus.FAILED, "1 digest(s) not finished", channels=1)
        assert named(store, config, left) == []

        # a call killed after it began a digest: `digest_unfinished` tells while it is left,
        # and once a monitoring pass finished it nothing is missing: no problem either way
        killed = digest_run(store, RunStatus.CRASHED, "Crashed: exited with status -9")
        assert len(named(store, config, killed)) == 1
        with store.session() as s:
            s.add(
                DigestRow(
                    channel="#ai-news",
                    period_start=utcnow() - timedelta(days=1),
                    period_end=utcnow() - timedelta(hours=1),
                    status=AlertStatus.SENT,
                    created_at=utcnow() - timedelta(minutes=39),
                )
            )
        assert named(store, config, killed) == []
    finally:
        store.close()
