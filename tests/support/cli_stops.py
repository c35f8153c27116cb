"""What the tests of `newsmon` stopped by hand share (tests/integration/test_cli_stops*.py, one
file a subject so xdist spreads their minutes over its workers): the command's environment, a
process's liveness, the lines it said, the pass it recorded."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.schema import RunRow

ROOT = Path(__file__).resolve().parents[2]


def newsmon_env() -> dict[str, str]:
    """The environment a `newsmon` child runs in: this checkout's code, the session's Prefect
    API, no Slack settings of the developer's."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    return env


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def said_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("newsmon:")]


def only_run(database: str) -> RunRow:
    store = Store.open(database)
    try:
        with store.session() as s:
            return s.scalars(select(RunRow)).one()
    finally:
        store.close()
