"""The loopback servers the tests start (the sample site, the fake Slack) stop at once: some 800
tests start one, and a stop that waits out the server's select() poll (socketserver's default,
half a second) cost each of them up to 0.5 s of nothing, minutes of every `make test`."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from newsmon.devsite import SiteServer
from tests.support.fake_slack import FakeSlack

DEMO_SITE = Path(__file__).resolve().parents[2] / "demo" / "site"


def _median_stop(start: Callable[[], Callable[[], None]]) -> float:
    """Median seconds a started, idle server takes to stop, over five starts."""
    took = []
    for _ in range(5):
        stop = start()
        began = time.monotonic()
        stop()
        took.append(time.monotonic() - began)
    return statistics.median(took)


def _site() -> Callable[[], None]:
    return SiteServer(DEMO_SITE).start().stop


def _slack() -> Callable[[], None]:
    return FakeSlack().start().stop


@pytest.mark.parametrize("start", [_site, _slack], ids=["site", "fake-slack"])
def test_an_idle_server_stops_without_waiting_out_its_poll(
    start: Callable[[], Callable[[], None]],
) -> None:
    # ~0.03 s now; 0.5 s each with socketserver's default poll. The bound leaves a loaded
    # machine ten times the expected time.
    assert _median_stop(start) < 0.3
