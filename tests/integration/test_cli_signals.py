"""The `newsmon` process when its reader goes away or the operator presses Ctrl-C: one line and
an exit status of its own, never one a script reads as an answer."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from newsmon.corpus import Store
from tests.support.configs import write_config

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}


def test_a_closed_pipe_is_not_read_as_an_unhealthy_answer(tmp_path: Path) -> None:
    """`newsmon feeds | head -1` under `set -o pipefail` exited 1, which `feeds` and `health`
    document as "something is wrong": a cron job alerted on a healthy installation."""
    path = write_config(tmp_path, feeds=[("one", "https://one.example/rss")])
    Store.open(f"sqlite:///{tmp_path / 'corpus.db'}").close()  # reading makes none
    read, write = os.pipe()
    os.close(read)  # the reader (head) has gone
    try:
        done = subprocess.run(
            [sys.executable, "-m", "newsmon", "feeds", "--config", str(path)],
            stdout=write,
            stderr=subprocess.PIPE,
            env=_env(),
            timeout=60,
        )
    finally:
        os.close(write)
    assert done.returncode == 128 + signal.SIGPIPE, done.stderr
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr


def test_ctrl_c_is_one_line_and_exit_130(tmp_path: Path) -> None:
    """Ctrl-C while `classify` waited on its input ended silently: exit 130, no word of why."""
    path = write_config(tmp_path)
    fifo = tmp_path / "page"
    os.mkfifo(fifo)
    child = subprocess.Popen(
        [sys.executable, "-m", "newsmon", "classify", str(fifo), "--config", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    writer = os.open(fifo, os.O_WRONLY)  # returns once the command has opened the page
    try:
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        os.close(writer)
    assert child.returncode == 130
    assert out == b""
    assert err.decode().splitlines() == ["newsmon: interrupted"]
