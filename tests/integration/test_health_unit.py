"""The command line of deployments/systemd/newsmon-health.service, run as systemd would (its
working directory holding config/newsmon.yaml, the corpus from the environment), on a corpus
whose passes stopped: it must exit non-zero, which leaves the unit failed. (That a completed
pass clears it, exit 0, is `newsmon health`'s own, tested with the command; one process here.)"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from newsmon.clock import utcnow
from newsmon.corpus import Store
from tests.conftest import ROOT
from tests.support.configs import write_config
from tests.unit.test_systemd_units import UNITS as SYSTEMD
from tests.unit.test_systemd_units import unit


def run_unit_command(workdir: Path, db_url: str) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(unit("newsmon-health.service").get("Service", "ExecStart"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSMON_", "SLACK_"))}
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    env["NEWSMON_DATABASE_URL"] = db_url  # as worker.env gives it
    return subprocess.run(
        [sys.executable, "-m", "newsmon", *argv[1:]],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )


def test_the_health_units_command_fails_when_passes_stop(
    tmp_path: Path,
) -> None:
    (tmp_path / "config").mkdir()
    write_config(tmp_path / "config", feeds=[("news", "http://127.0.0.1:9/feed")])
    db_url = f"sqlite:///{tmp_path / 'corpus.db'}"
    store = Store.open(db_url)
    try:
        store.record_run("monitor", utcnow() - timedelta(hours=3), {})
        with store.engine.begin() as conn:  # the last pass ended three hours ago
            conn.execute(text("UPDATE runs SET finished_at = started_at"))
        stale = run_unit_command(tmp_path, db_url)
        assert stale.returncode == 1, stale.stderr
        assert "stale" in [p["kind"] for p in json.loads(stale.stdout)["problems"]]
    finally:
        store.close()


def test_the_health_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own check of the timer and its service (unknown keys, bad values, the timer's
    unit), on copies whose ExecStart names this virtualenv's newsmon."""
    verify = shutil.which("systemd-analyze")
    if not verify:
        pytest.skip("systemd-analyze is not installed")
    installed = shlex.split(unit("newsmon-health.service").get("Service", "ExecStart"))[0]
    for name in ("newsmon-health.service", "newsmon-health.timer"):
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(
            text.replace(installed, str(Path(sys.executable).parent / "newsmon")),
            encoding="utf-8",
        )
    result = subprocess.run(
        [verify, "verify", "--man=no", str(tmp_path / "newsmon-health.timer")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    own = [line for line in result.stderr.splitlines() if "newsmon-health" in line]
    assert own == [], result.stderr
