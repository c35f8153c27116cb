"""`newsmon run` with no Prefect server started in a session of its own and stopped as a whole
(systemd's stop, a cron wrapper's timeout, Ctrl-C at a terminal): what the tests of its claims
given back share (tests/integration/test_stopped_pass_*.py, one file a subject so xdist spreads
their minute each over its workers)."""

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
from newsmon.corpus.schema import FeedRow

ROOT = Path(__file__).resolve().parents[2]


def command_env(tmp_path: Path) -> dict[str, str]:
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


def start_run(config: Path, env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
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


def stop_group(
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


def feed_claim(database: str) -> str | None:
    store = Store.open(database)
    try:
        with store.session() as s:
            return s.scalars(select(FeedRow.claimed_by).where(FeedRow.name == "held")).one()
    finally:
        store.close()


def said_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("newsmon:")]
