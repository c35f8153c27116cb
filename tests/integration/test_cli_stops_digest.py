"""`newsmon digest` stopped by SIGTERM: one line, the shell's status, the run recorded, and the
temporary Prefect server it started stopped with it (its own file: about a minute, so xdist runs
it beside the other stop tests, tests/integration/test_cli_stops.py)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psutil
from sqlalchemy import update

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import RunStatus
from newsmon.corpus.schema import AlertRow
from tests.support.cli_stops import alive, newsmon_env, only_run, said_lines
from tests.support.configs import write_config
from tests.support.delivery import announce_alerts
from tests.support.fake_slack import FakeSlack


def test_a_digest_stopped_by_sigterm_leaves_no_prefect_server_behind(tmp_path: Path) -> None:
    """`newsmon digest` (a flow run in the command's own thread) under SIGTERM: Prefect's
    handler recorded the crash and let the signal kill the command, with no line of why, and
    the temporary Prefect server it had started (no PREFECT_API_URL: a terminal, cron) ran on
    for ever, an orphan holding the command's output open: a caller reading it through a pipe
    waited for ever too. Now: one line, exit 143, the server stopped, the run recorded."""
    from tests.support.prefect_db import migrated_db

    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    config = write_config(tmp_path, database_url=database, default_channel="#ai-news")
    store = Store.open(database)
    try:
        ids = announce_alerts(store, {"#ai-news": 3})
        with store.session() as s:  # sent before the period's end, the last whole hour
            s.execute(
                update(AlertRow)
                .where(AlertRow.article_id.in_(ids))
                .values(sent_at=utcnow() - timedelta(hours=2))
            )
    finally:
        store.close()
    prefect_db = tmp_path / "prefect.db"
    shutil.copyfile(migrated_db(), prefect_db)
    slack = FakeSlack().start()
    slack.delay_after = 30.0  # the digest taken by Slack, its answer still to come
    env = {k: v for k, v in newsmon_env().items() if k != "PREFECT_API_URL"}
    env.update(
        SLACK_BOT_TOKEN=slack.token,
        NEWSMON_SLACK_API_URL=slack.api_url,
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{prefect_db}",
    )
    out_file, err_file = tmp_path / "out", tmp_path / "err"
    try:
        with out_file.open("w") as out, err_file.open("w") as err:
            child = subprocess.Popen(
                [sys.executable, "-m", "newsmon", "digest", "--config", str(config)],
                stdout=out,
                stderr=err,
                env=env,
            )
        try:
            deadline = time.monotonic() + 120
            while not slack.posts:  # watching Slack's side for the digest taken
                assert time.monotonic() < deadline and child.poll() is None, err_file.read_text()
                time.sleep(0.05)
            family = [p.pid for p in psutil.Process(child.pid).children(recursive=True)]
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)
        finally:
            child.kill()
            child.wait()
    finally:
        slack.stop()
    errors = err_file.read_text()
    left = [pid for pid in family if alive(pid)]
    for pid in left:  # the test's own processes: never left running after it
        psutil.Process(pid).kill()
    assert not left, f"processes left behind: {left}"
    assert child.returncode == 128 + signal.SIGTERM, errors
    assert said_lines(errors) == ["newsmon: terminated"], errors
    assert "Traceback" not in errors, errors
    run = only_run(database)
    assert run.status is RunStatus.CRASHED and run.error == "stopped by SIGTERM", run.error
