"""`newsmon health` (cron, a systemd timer, a probe) against a PostgreSQL address that accepts
connections and never answers (a server frozen on its disk, a tunnel or proxy left open): libpq
has no connect timeout of its own, so the probe waited for ever, and a timer that starts it
again while it runs never started another: the watch went silent with the pipeline.

The "database" is a loopback socket that listens and never reads: the kernel completes the
connection, nothing ever answers. A watchdog closes it after a while so that a hang fails the
test instead of holding it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_DATABASE, app
from newsmon.corpus import engine
from tests.support.configs import write_config

WATCHDOG_SECONDS = 8.0


@pytest.fixture
def silent_port() -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    # closing it resets the connections waiting in its queue: a client stuck on one ends
    watchdog = threading.Timer(WATCHDOG_SECONDS, listener.close)
    watchdog.start()
    try:
        yield listener.getsockname()[1]
    finally:
        watchdog.cancel()
        listener.close()


def test_health_against_a_database_that_never_answers_ends_in_one_line(
    tmp_path: Path, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "PG_CONNECT_SECONDS", 2, raising=False)  # 10 s in production
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    url = f"postgresql+psycopg://newsmon:hunter2@127.0.0.1:{silent_port}/newsmon"
    monkeypatch.setenv("NEWSMON_DATABASE_URL", url)
    config = write_config(tmp_path, feeds=[("news", "http://127.0.0.1:9/feed")])
    started = time.monotonic()
    result = CliRunner().invoke(app, ["health", "--json", "--config", str(config)])
    elapsed = time.monotonic() - started
    assert elapsed < WATCHDOG_SECONDS - 2, f"waited {elapsed:.1f} s for a silent database"
    assert result.exit_code == EXIT_DATABASE, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert f"127.0.0.1:{silent_port}" in lines[0] and "hunter2" not in result.output


def test_a_connect_timeout_in_the_url_is_the_operators() -> None:
    """`?connect_timeout=` in the URL (or PGCONNECT_TIMEOUT) is libpq's own setting: kept."""
    url = "postgresql+psycopg://newsmon@127.0.0.1:1/newsmon?connect_timeout=30"
    made = engine.make_engine(url)
    try:
        args = made.dialect.create_connect_args(made.url)[1]
        assert str(args["connect_timeout"]) == "30"
    finally:
        made.dispose()
