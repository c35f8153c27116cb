"""`PREFECT_API_URL` left set to a server that is down: `newsmon run` says so in one line,
promptly. An address that accepts connections and never answers (a server stopped mid-start,
a tunnel left open) held the command silent for about seven minutes of Prefect's retries.

The "server" is a loopback socket that listens and never reads: the kernel completes the
connection, nothing ever answers. No Prefect harness: the command must stop before a flow."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.configs import write_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def silent_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def _run(tmp_path: Path, api_url: str) -> subprocess.CompletedProcess[str]:
    config = write_config(tmp_path, feeds=[("f", "http://127.0.0.1:9/feed.xml")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PREFECT_"))}
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    env["PREFECT_API_URL"] = api_url
    env["PREFECT_API_REQUEST_TIMEOUT"] = "1"  # the probe waits no longer than Prefect would
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    return subprocess.run(
        [sys.executable, "-m", "newsmon", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=40,
    )


def test_an_api_that_never_answers_ends_the_run_at_once_in_one_line(
    tmp_path: Path, silent_port: int
) -> None:
    started = time.monotonic()
    done = _run(tmp_path, f"http://user:hunter2@127.0.0.1:{silent_port}/api")
    elapsed = time.monotonic() - started
    assert done.returncode == 6, done.stderr
    assert elapsed < 20, elapsed
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "did not answer" in lines[0] and "PREFECT_API_URL" in lines[0], lines
    assert f"127.0.0.1:{silent_port}" in lines[0] and "hunter2" not in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_an_api_refusing_connections_ends_the_run_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    done = _run(tmp_path, f"http://127.0.0.1:{port}/api")
    assert done.returncode == 6, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0] and "PREFECT_API_URL" in lines[0], lines
