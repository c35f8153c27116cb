"""`newsmon run` stopped by hand mid-pass (Ctrl-C at a terminal, SIGTERM from systemd or
`kill`): it ends at once with one line and the shell's status for the signal, records the pass
crashed with the signal as its reason, leaves the feed it was reading neither failed nor
claimed, and leaves no process behind.

The feed server holds one feed's answer until the test ends, and tells the test when that feed
was asked for: the signal lands while the pass is reading it, never after a sleep.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.records import RunStatus
from newsmon.corpus.schema import FeedRow
from tests.support.cli_stops import alive, newsmon_env, only_run, said_lines
from tests.support.configs import write_config
from tests.support.postgres import PG_URL, throwaway_schema

RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{base}/</link>'
    "<description>d</description><item><title>A note on the weather</title>"
    "<link>{base}/a1.html</link><description>The price of bread.</description>"
    "<pubDate>Mon, 01 Dec 2025 00:00:00 GMT</pubDate></item></channel></rss>"
)


class HeldFeedSite:
    """`/held.xml` answers only once released; `asked` is set when it is requested."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/held.xml":
                    site.asked.set()
                    site.release.wait(60)
                body = RSS.format(base=site.base).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the pass went away
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HeldFeedSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'corpus.db'}"
        return
    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="stops") as url:
        yield url


def _stop_midway(command: list[str], site: HeldFeedSite, signum: int) -> tuple[str, str, int]:
    """Run `newsmon` with `command`, send `signum` once the held feed is asked for; returns
    its output, errors and exit status after checking it ended promptly, leaving no process."""
    child = subprocess.Popen(
        [sys.executable, "-m", "newsmon", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=newsmon_env(),
    )
    try:
        assert site.asked.wait(120), "the held feed was never asked for"
        family = [p.pid for p in psutil.Process(child.pid).children(recursive=True)]
        child.send_signal(signum)
        sent = time.monotonic()
        out, err = child.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        child.kill()
        child.wait()
    assert took < 15, took
    assert "Traceback" not in err, err
    gone_by = time.monotonic() + 10
    while any(alive(pid) for pid in family) and time.monotonic() < gone_by:
        time.sleep(0.1)
    assert not [pid for pid in family if alive(pid)], "processes left behind"
    return out, err, child.returncode


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(
    ("signum", "said"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated")]
)
def test_a_pass_stopped_by_hand_ends_at_once_and_records_why(
    tmp_path: Path, database: str, signum: signal.Signals, said: str
) -> None:
    """SIGTERM (systemd stopping a timer's `newsmon run`) was raised by Prefect's handler
    wherever the event loop stood: asyncio took it for a socket's write error, so the feed
    being read was recorded failed ("ReadError", backing off), the pass went on, printed its
    totals and exited 5, "every feed tried failed" (0 when another feed was read). Ctrl-C was
    recorded "cancelled or timed out", which `newsmon runs` could not tell from a timeout."""
    with HeldFeedSite() as site:
        config = write_config(
            tmp_path, feeds=[("held", "/held.xml")], base=site.base, database_url=database
        )
        out, err, status = _stop_midway(["run", "--config", str(config)], site, signum)
    assert status == 128 + signum, (out, err)
    assert said_lines(err) == [f"newsmon: {said}"], err
    assert "feeds:" not in out, out  # no totals of a pass that did not end
    run = only_run(database)
    assert run.status is RunStatus.CRASHED, run.status
    assert signum.name in (run.error or ""), run.error
    store = Store.open(database)
    try:
        with store.session() as s:
            feed = s.scalars(select(FeedRow).where(FeedRow.name == "held")).one()
        assert feed.claimed_by is None  # the next pass takes it at once
        assert feed.consecutive_failures == 0 and feed.last_error is None, feed.last_error
    finally:
        store.close()


@pytest.mark.usefixtures("prefect_harness")
def test_a_backfill_of_pages_stopped_by_sigterm_ends_at_once(tmp_path: Path) -> None:
    """The same for `newsmon backfill --urls`, whose pages are read in the same event loop."""
    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    with HeldFeedSite() as site:
        config = write_config(tmp_path, base=site.base, database_url=database)
        command = ["backfill", "--urls", f"{site.base}/held.xml", "--config", str(config)]
        out, err, status = _stop_midway(command, site, signal.SIGTERM)
    assert status == 128 + signal.SIGTERM, (out, err)
    assert said_lines(err) == ["newsmon: terminated"], err
    run = only_run(database)
    assert run.status is RunStatus.CRASHED and run.error == "stopped by SIGTERM", run.error
