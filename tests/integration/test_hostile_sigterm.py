"""SIGTERM ends a `newsmon run` whose worker is busy extracting a hostile page (trafilatura
would take minutes on it), at once, leaving no process behind (tests/support/hostile_pages.py)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.devsite import SiteServer
from tests.support.hostile_pages import (
    TreeMemory,
    alive,
    newsmon_run,
    serve_hostile_site,
    write_config,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def hostile_site(tmp_path: Path) -> Iterator[tuple[SiteServer, dict[str, str]]]:
    with serve_hostile_site(tmp_path) as served:
        yield served


def test_sigterm_ends_a_pass_whose_worker_is_busy(
    tmp_path: Path, hostile_site: tuple[SiteServer, dict[str, str]]
) -> None:
    site, _ = hostile_site
    config = write_config(
        tmp_path, site, [("burner", "/feeds/burner.xml")], None, page_timeout_seconds=60
    )
    proc = newsmon_run(config)
    try:
        with TreeMemory(proc.pid) as memory:
            deadline = time.monotonic() + 120
            while "/hostile/burner.html" not in site.paths_requested():
                assert time.monotonic() < deadline and proc.poll() is None, (
                    "the page was never read"
                )
                time.sleep(0.2)
            time.sleep(3)  # the worker is extracting (it would take minutes)
            workers = set(memory.seen) - {proc.pid}
            assert workers, "no worker process seen"
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            proc.wait(timeout=30)
        assert time.monotonic() - sent < 30
    finally:
        proc.kill()
        proc.wait()
    gone_by = time.monotonic() + 15
    left = [p for p in workers if alive(p)]
    while left and time.monotonic() < gone_by:
        time.sleep(0.2)
        left = [p for p in left if alive(p)]
    assert not left, f"processes left behind: {left}"
