"""`PREFECT_API_URL` left set to a server that is down: `newsmon run` says so in one line,
promptly. An address that accepts connections and never answers (a server stopped mid-start,
a tunnel left open) held the command silent for about seven minutes of Prefect's retries.

The "server" is a loopback socket that accepts and never reads: the connection is made,
nothing ever answers. No Prefect harness: the command must stop before a flow."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsmon.prefect_api import PROBE_SECONDS
from tests.support.configs import write_config

ROOT = Path(__file__).resolve().parents[2]


class Silent:
    """A loopback address that accepts connections and never reads nor answers; when
    (monotonic) the first connection came: the command's own start (imports, seconds on a
    loaded machine) is not the wait it must keep short."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port: int = self.listener.getsockname()[1]
        self.connected: list[float] = []
        self.held: list[socket.socket] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connected.append(time.monotonic())
            self.held.append(conn)  # open, never read

    def close(self) -> None:
        self.done.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.listener.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    try:
        yield server
    finally:
        server.close()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    said_at: float | None  # when (monotonic) its first line on stderr came


def _run(tmp_path: Path, api_url: str) -> Run:
    config = write_config(tmp_path, feeds=[("f", "http://127.0.0.1:9/feed.xml")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PREFECT_"))}
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    env["PREFECT_API_URL"] = api_url
    env["PREFECT_API_REQUEST_TIMEOUT"] = "1"  # the probe waits no longer than Prefect would
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    out = tmp_path / "stdout"
    with out.open("w", encoding="utf-8") as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsmon", "run", "--config", str(config)],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        # its start alone takes seconds, more on a loaded machine; minutes of retries do not
        killer = threading.Timer(180, proc.kill)
        killer.start()
        try:
            assert proc.stderr is not None
            lines, said_at = [], None
            for line in proc.stderr:  # to its end (EOF when it exits)
                said_at = said_at or time.monotonic()
                lines.append(line)
            returncode = proc.wait()
        finally:
            killer.cancel()
    return Run(returncode, out.read_text(encoding="utf-8"), "".join(lines), said_at)


def test_an_api_that_never_answers_ends_the_run_at_once_in_one_line(
    tmp_path: Path, silent: Silent
) -> None:
    done = _run(tmp_path, f"http://user:hunter2@127.0.0.1:{silent.port}/api")
    assert done.returncode == 6, done.stderr
    assert silent.connected and done.said_at is not None, done.stderr
    # from its first question to its line: Prefect's 1 s request timeout, not the probe's own
    # 10 s (PROBE_SECONDS) nor Prefect's minutes of retries (the command's start and exit,
    # seconds of imports and teardown on a loaded machine, are not that wait)
    waited = done.said_at - silent.connected[0]
    assert waited < PROBE_SECONDS, waited
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "did not answer" in lines[0] and "PREFECT_API_URL" in lines[0], lines
    assert f"127.0.0.1:{silent.port}" in lines[0] and "hunter2" not in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_an_api_refusing_connections_ends_the_run_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    done = _run(tmp_path, f"http://127.0.0.1:{port}/api")
    assert done.returncode == 6, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0] and "PREFECT_API_URL" in lines[0], lines
