"""`newsmon run` with no Prefect server (`make run`, cron, a systemd timer) stopped as a whole:
systemd's stop and a cron wrapper's `timeout --kill-after` signal every process of the unit,
Ctrl-C at a terminal every process of the foreground group, the temporary Prefect server the
command started among them. The pass's claims must go back with its clean stop, so the next
pass reads its feeds and posts its alerts at once, not after the 5- and 10-minute leases.

They do: the flow's own cleanup gives them back (`flows.common.release_feed_claims`, delivery's
`until_stopped`) before Prefect reports anything to the server. And the command ends within
`ENDS_WITHIN` of the signal: before, its temporary server stopped with it, Prefect's client
retried its reports for about 70 s (`flows.common.Stopping.stop` now ends the retries).
"""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.records import RunStatus
from newsmon.corpus.schema import FeedRow, RunRow
from tests.integration.test_cli_stops import HeldFeedSite
from tests.support.configs import write_config
from tests.support.stopped_passes import (
    ENDS_WITHIN,
    command_env,
    feed_claim,
    said_lines,
    start_run,
    stop_group,
)


def test_a_pass_stopped_as_a_whole_mid_feed_gives_its_feed_back(tmp_path: Path) -> None:
    """systemd stopping a timer's `newsmon run` while it reads a feed that stalls."""
    signum = signal.SIGTERM
    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    log = tmp_path / "log"
    with HeldFeedSite() as site:
        config = write_config(
            tmp_path, feeds=[("held", "/held.xml")], base=site.base, database_url=database
        )
        child = start_run(config, command_env(tmp_path), log)
        assert site.asked.wait(120), log.read_text()
        freed_early, took = stop_group(child, signum, lambda: feed_claim(database) is None)
    said = log.read_text()
    store = Store.open(database)
    try:
        with store.session() as s:
            feed = s.scalars(select(FeedRow).where(FeedRow.name == "held")).one()
            run = s.scalars(select(RunRow)).one()
    finally:
        store.close()
    assert feed.claimed_by is None, (feed.claimed_by, feed.claim_until, said[-3000:])
    assert freed_early  # back before Prefect reports anything, not with the command's end
    assert took < ENDS_WITHIN, (took, said[-3000:])
    # one line: before, Prefect's failed report to its stopped server added "the pass crashed"
    assert said_lines(said) == ["newsmon: terminated"], said[-3000:]
    assert run.status is RunStatus.CRASHED, run.status
    assert child.returncode == 128 + signum, said[-3000:]
