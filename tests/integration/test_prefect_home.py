"""`newsmon run` where Prefect's home cannot be made (cron or a systemd unit whose `$HOME` is
read-only or hidden, `ProtectHome=yes`): the temporary local API keeps its database there.
Before, the command hung for minutes printing thousands of lines of the API's tracebacks; now
it says so in one line, before any flow starts. No Prefect harness: the command must stop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.configs import write_config

ROOT = Path(__file__).resolve().parents[2]


def test_a_prefect_home_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, feeds=[("f", "http://127.0.0.1:9/feed.xml")])
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("", encoding="utf-8")  # nothing can be made under a file
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PREFECT_"))}
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    env["PREFECT_HOME"] = str(blocker / ".prefect")
    done = subprocess.run(
        [sys.executable, "-m", "newsmon", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=45,
    )
    assert done.returncode == 6, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("newsmon: ")]
    assert len(lines) == 1, done.stderr[-2000:]
    assert str(blocker / ".prefect") in lines[0] and "PREFECT_HOME" in lines[0]
    assert "Traceback" not in done.stderr + done.stdout
