"""The release deployed before this one, run for real: its `src/` taken from git
(`git archive`) and its `newsmon` command run in a subprocess against a corpus this release
wrote, as a rolled-back worker, or an older one still running beside a newer one, would."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The release deployed when this one was written (its newest revision: 0027).
DEPLOYED = "a5335bd"
DEPLOYED_HEAD = "0027"
SECONDS = 60  # bound on one command of the old release (it takes about 2 s)


def deployed_source(folder: Path) -> Path:
    """The deployed release's `src/` unpacked in `folder` (skipped where git or the commit is
    missing: a shallow clone, an sdist)."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", DEPLOYED, "src/newsmon"],
            capture_output=True,
            timeout=SECONDS,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"the deployed release {DEPLOYED} is not in git here: {exc}")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def run_old(src: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`newsmon ARGS` of the release at `src`, bounded; its output and exit code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSMON_", "SLACK_"))}
    env["PYTHONPATH"] = str(src)
    return subprocess.run(
        [sys.executable, "-m", "newsmon", *args],
        capture_output=True,
        text=True,
        timeout=SECONDS,
        env=env,
        cwd=src,
    )
