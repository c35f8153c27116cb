"""A download's time (`fetch.total_timeout`) mistyped by orders of magnitude (3600 for 36,
1e10) is refused when the file is loaded, in one line naming the key, the value and the range,
or a pass with it still fails a stalling feed alone: the real `monitor` flow, a feed on the
sample site and one on a loopback server that trickles its answer a byte at a time.

Before, 1e10 was accepted: a feed whose host kept its answer trickling outlived the feeds
task's timeout, and the task's whole batch crashed, its other feeds (read and stored fine)
recorded failed as an internal error, so `newsmon health` blamed feeds that worked.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.corpus import Store
from newsmon.devsite import SiteServer
from newsmon.poll import Severity
from newsmon.yamlfile import ConfigError
from tests.support.configs import write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")
TASK_SECONDS = 6.0  # the feeds task's timeout here (600 s by default)


class _Trickle(BaseHTTPRequestHandler):
    """An RSS answer whose body comes a byte every 0.2 s for a minute (each byte well within
    any read timeout): only the download's total time stops it."""

    stopping = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()
        ends = time.monotonic() + 60
        try:
            while time.monotonic() < ends and not self.stopping.is_set():
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            return

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def trickle() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/stall.xml"
    finally:
        _Trickle.stopping.set()
        server.shutdown()
        server.server_close()
        _Trickle.stopping.clear()


@pytest.mark.parametrize("value", [1e10, 3600.0, 2.0])
def test_a_download_time_far_out_of_range_is_refused_at_load_or_fails_its_feed_alone(
    tmp_path: Path,
    site: SiteServer,
    trickle: str,
    monkeypatch: pytest.MonkeyPatch,
    value: float,
) -> None:
    import flows.monitor as monitor_flows

    path = write_config(
        tmp_path,
        feeds=[("ai-daily-ko", site.url("/feeds/ko-ai.xml"), "ko"), ("stalling", trickle)],
        default_channel="#ai-news",
        fetch={"total_timeout": value},
    )
    try:
        load_config(path)
    except ConfigError as refused:
        line = str(refused)
        assert "\n" not in line and f"fetch.total_timeout: {value:g} is out of range" in line
        assert value > 120, line
        return
    task = monitor_flows.process_feeds_task.with_options(timeout_seconds=TASK_SECONDS, retries=0)
    monkeypatch.setattr(monitor_flows, "process_feeds_task", task)
    totals = asyncio.run(monitor_flows.monitor(config_path=str(path)))
    assert (totals.feeds_ok, totals.feeds_failed) == (1, 1), totals
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        health = {h.name: h for h in store.feed_health()}
    finally:
        store.close()
    assert health["ai-daily-ko"].last_error is None, health["ai-daily-ko"].last_error
    stalling = health["stalling"]  # backed off as a feed that timed out, not a crashed batch
    assert stalling.failure_kind == Severity.SOFT and stalling.next_check_at is not None, stalling
