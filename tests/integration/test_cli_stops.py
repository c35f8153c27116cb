"""`newsmon run` stopped by hand mid-pass (Ctrl-C at a terminal, SIGTERM from systemd or
`kill`): it ends at once with one line and the shell's status for the signal, records the pass
crashed with the signal as its reason, leaves the feed it was reading neither failed nor
claimed, and leaves no process behind.

The feed server holds one feed's answer until the test ends, and tells the test when that feed
was asked for: the signal lands while the pass is reading it, never after a sleep.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select, update

from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, RunStatus
from newsmon.corpus.schema import AlertRow, FeedRow, RunRow
from tests.support.configs import write_config
from tests.support.delivery import announce_alerts, queue_alerts
from tests.support.fake_slack import FakeSlack
from tests.support.postgres import PG_URL, throwaway_schema

ROOT = Path(__file__).resolve().parents[2]
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


def _env() -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    return env


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _stop_midway(command: list[str], site: HeldFeedSite, signum: int) -> tuple[str, str, int]:
    """Run `newsmon` with `command`, send `signum` once the held feed is asked for; returns
    its output, errors and exit status after checking it ended promptly, leaving no process."""
    child = subprocess.Popen(
        [sys.executable, "-m", "newsmon", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
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
    while any(_alive(pid) for pid in family) and time.monotonic() < gone_by:
        time.sleep(0.1)
    assert not [pid for pid in family if _alive(pid)], "processes left behind"
    return out, err, child.returncode


def _said(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("newsmon:")]


def _only_run(database: str) -> RunRow:
    store = Store.open(database)
    try:
        with store.session() as s:
            return s.scalars(select(RunRow)).one()
    finally:
        store.close()


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
    assert _said(err) == [f"newsmon: {said}"], err
    assert "feeds:" not in out, out  # no totals of a pass that did not end
    run = _only_run(database)
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
    assert _said(err) == ["newsmon: terminated"], err
    run = _only_run(database)
    assert run.status is RunStatus.CRASHED and run.error == "stopped by SIGTERM", run.error


@pytest.mark.usefixtures("prefect_harness")
def test_ctrl_c_during_delivery_stops_posting_and_gives_the_rest_back(tmp_path: Path) -> None:
    """Ctrl-C while alerts went out printed "newsmon: interrupted" and recorded the pass
    crashed, yet the delivery thread went on posting every claimed alert (15 posts, 18 s here;
    `slack.max_per_pass` of them at Slack's pace) before the command exited. Now the post in
    flight is recorded, the alerts not posted are given back (the next pass takes them at
    once), and the command ends within seconds."""
    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    config = write_config(tmp_path, database_url=database, default_channel="#ai-news")
    store = Store.open(database)
    try:
        queue_alerts(store, {"#ai-news": 15})
    finally:
        store.close()
    slack = FakeSlack().start()
    slack.delay_after = 1.0  # each post answered a second after Slack took it
    env = {**_env(), "SLACK_BOT_TOKEN": slack.token, "NEWSMON_SLACK_API_URL": slack.api_url}
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "newsmon", "run", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            deadline = time.monotonic() + 120
            while not slack.posts:  # watching Slack's side for the first post taken
                assert time.monotonic() < deadline and child.poll() is None, "nothing posted"
                time.sleep(0.05)
            child.send_signal(signal.SIGINT)
            sent = time.monotonic()
            out, err = child.communicate(timeout=60)
            took = time.monotonic() - sent
        finally:
            child.kill()
            child.wait()
        posted = len(slack.posts)
    finally:
        slack.stop()
    assert child.returncode == 130, (out, err)
    assert _said(err) == ["newsmon: interrupted"], err
    assert took < 6, f"{took:.1f} s, {posted} posts"
    assert posted <= 2, posted
    store = Store.open(database)
    try:
        with store.session() as s:
            alerts = list(s.scalars(select(AlertRow)))
    finally:
        store.close()
    sent_rows = [a for a in alerts if a.status is AlertStatus.SENT]
    assert len(sent_rows) == posted  # every post Slack took is known: never posted twice
    waiting = [a for a in alerts if a.status is AlertStatus.PENDING]
    assert len(waiting) == 15 - posted
    assert all(a.claimed_by is None for a in waiting)  # the next pass sends them at once


def test_a_digest_stopped_by_sigterm_leaves_no_prefect_server_behind(tmp_path: Path) -> None:
    """`newsmon digest` (a flow run in the command's own thread) under SIGTERM: Prefect's
    handler recorded the crash and let the signal kill the command, with no line of why, and
    the temporary Prefect server it had started (no PREFECT_API_URL: a terminal, cron) ran on
    for ever, an orphan holding the command's output open: a caller reading it through a pipe
    waited for ever too. Now: one line, exit 143, the server stopped, the run recorded."""
    from tests.support.prefect_db import migrated_db

    database = f"sqlite:///{tmp_path / 'corpus.db'}"
    config = write_config(tmp_path, database_url=database, default_channel="#ai-news")
    store = Store.open(database)
    try:
        ids = announce_alerts(store, {"#ai-news": 3})
        with store.session() as s:  # sent before the period's end, the last whole hour
            s.execute(
                update(AlertRow)
                .where(AlertRow.article_id.in_(ids))
                .values(sent_at=utcnow() - timedelta(hours=2))
            )
    finally:
        store.close()
    prefect_db = tmp_path / "prefect.db"
    shutil.copyfile(migrated_db(), prefect_db)
    slack = FakeSlack().start()
    slack.delay_after = 30.0  # the digest taken by Slack, its answer still to come
    env = {k: v for k, v in _env().items() if k != "PREFECT_API_URL"}
    env.update(
        SLACK_BOT_TOKEN=slack.token,
        NEWSMON_SLACK_API_URL=slack.api_url,
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{prefect_db}",
    )
    out_file, err_file = tmp_path / "out", tmp_path / "err"
    try:
        with out_file.open("w") as out, err_file.open("w") as err:
            child = subprocess.Popen(
                [sys.executable, "-m", "newsmon", "digest", "--config", str(config)],
                stdout=out,
                stderr=err,
                env=env,
            )
        try:
            deadline = time.monotonic() + 120
            while not slack.posts:  # watching Slack's side for the digest taken
                assert time.monotonic() < deadline and child.poll() is None, err_file.read_text()
                time.sleep(0.05)
            family = [p.pid for p in psutil.Process(child.pid).children(recursive=True)]
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)
        finally:
            child.kill()
            child.wait()
    finally:
        slack.stop()
    errors = err_file.read_text()
    left = [pid for pid in family if _alive(pid)]
    for pid in left:  # the test's own processes: never left running after it
        psutil.Process(pid).kill()
    assert not left, f"processes left behind: {left}"
    assert child.returncode == 128 + signal.SIGTERM, errors
    assert _said(errors) == ["newsmon: terminated"], errors
    assert "Traceback" not in errors, errors
    run = _only_run(database)
    assert run.status is RunStatus.CRASHED and run.error == "stopped by SIGTERM", run.error
