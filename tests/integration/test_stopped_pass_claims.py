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

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, RunStatus
from newsmon.corpus.schema import AlertRow, FeedRow, RunRow
from tests.integration.test_cli_stops import HeldFeedSite
from tests.support.configs import write_config
from tests.support.delivery import queue_alerts
from tests.support.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    """No PREFECT_API_URL: the command starts its temporary server, as `make run` does."""
    from tests.support.prefect_db import migrated_db

    prefect_db = tmp_path / "prefect.db"
    shutil.copyfile(migrated_db(), prefect_db)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k != "PREFECT_API_URL"
    }
    env.update(
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{prefect_db}",
    )
    return env


def _start(config: Path, env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    """`newsmon run` in a session of its own: the test signals its whole group, as systemd
    and a terminal do."""
    with out.open("w") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "newsmon", "run", "--config", str(config)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


# How soon after the signal a stopped `newsmon run` must have ended: before, Prefect's client
# retried reporting the crash to its stopped temporary server for ~70 s.
ENDS_WITHIN = 20.0


def _stop_group(
    child: subprocess.Popen[bytes], signum: int, done: Callable[[], bool] = lambda: True
) -> tuple[bool, float]:
    """Signal every process of the command's group and wait for the command to end: whether
    `done()` held while the command still ran (what a SIGKILL then would not undo), and the
    seconds from the signal to the command's end (the wait gives up after `ENDS_WITHIN`)."""
    os.killpg(child.pid, signum)
    signalled = time.monotonic()
    early = False
    try:
        while child.poll() is None and not (early := done()):
            time.sleep(0.2)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, signalled + ENDS_WITHIN - time.monotonic()))
        took = time.monotonic() - signalled
    finally:
        with contextlib.suppress(ProcessLookupError):  # nothing of the test's left running
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    return early, took


def _feed_claim(database: str) -> str | None:
    store = Store.open(database)
    try:
        with store.session() as s:
            return s.scalars(select(FeedRow.claimed_by).where(FeedRow.name == "held")).one()
    finally:
        store.close()


def _said(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("newsmon:")]


def test_a_pass_stopped_as_a_whole_mid_feed_gives_its_feed_back(tmp_path: Path) -> None:
    """systemd stopping a timer's `newsmon run` while it reads a feed that stalls."""
    signum = signal.SIGTERM
    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    log = tmp_path / "log"
    with HeldFeedSite() as site:
        config = write_config(
            tmp_path, feeds=[("held", "/held.xml")], base=site.base, database_url=database
        )
        child = _start(config, _env(tmp_path), log)
        assert site.asked.wait(120), log.read_text()
        freed_early, took = _stop_group(child, signum, lambda: _feed_claim(database) is None)
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
    assert _said(said) == ["newsmon: terminated"], said[-3000:]
    assert run.status is RunStatus.CRASHED, run.status
    assert child.returncode == 128 + signum, said[-3000:]


def test_a_pass_stopped_as_a_whole_mid_delivery_gives_its_alerts_back(tmp_path: Path) -> None:
    """Ctrl-C at a terminal while alerts go out: the post in flight is recorded, the rest
    are pending and unclaimed, nothing is left `sending` for its lease."""
    signum = signal.SIGINT
    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    config = write_config(tmp_path, database_url=database, default_channel="#ai-news")
    store = Store.open(database)
    try:
        queue_alerts(store, {"#ai-news": 15})
    finally:
        store.close()
    slack = FakeSlack().start()
    slack.delay_after = 1.0
    env = {**_env(tmp_path), "SLACK_BOT_TOKEN": slack.token, "NEWSMON_SLACK_API_URL": slack.api_url}
    log = tmp_path / "log"
    try:
        child = _start(config, env, log)
        deadline = time.monotonic() + 120
        while not slack.posts:
            assert time.monotonic() < deadline and child.poll() is None, log.read_text()
            time.sleep(0.05)
        _, took = _stop_group(child, signum)
        posted = len(slack.posts)
    finally:
        slack.stop()
    said = log.read_text()
    store = Store.open(database)
    try:
        with store.session() as s:
            alerts = list(s.scalars(select(AlertRow)))
    finally:
        store.close()
    assert took < ENDS_WITHIN, (took, said[-3000:])
    assert _said(said) == ["newsmon: interrupted"], said[-3000:]
    held = [a.id for a in alerts if a.status is AlertStatus.SENDING]
    assert not held, (held, said[-3000:])
    sent = [a for a in alerts if a.status is AlertStatus.SENT]
    assert len(sent) == posted  # every post Slack took is recorded: never posted twice
    waiting = [a for a in alerts if a.status is AlertStatus.PENDING]
    assert len(waiting) == 15 - posted and all(a.claimed_by is None for a in waiting)
    assert child.returncode == 128 + signum, said[-3000:]
