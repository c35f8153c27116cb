"""The systemd units an operator installs (deployments/systemd), read as systemd reads them."""

from __future__ import annotations

import configparser
import re
import shlex

from tests.conftest import ROOT

UNITS = ROOT / "deployments" / "systemd"
# systemd's defaults (DefaultStartLimitIntervalSec=10s, DefaultStartLimitBurst=5)
DEFAULT_INTERVAL, DEFAULT_BURST = 10.0, 5


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(
        strict=False, interpolation=None, comment_prefixes=("#", ";")
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((UNITS / name).read_text(encoding="utf-8"))
    return parser


def seconds(value: str) -> float:
    """A systemd time span: `10`, `10s`, `5min`, `1h 30s`."""
    scale = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
    total = 0.0
    for number, suffix in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value):
        total += float(number) * scale[suffix]
    return total


def test_a_worker_that_cannot_start_stops_retrying_and_shows_failed() -> None:
    """`Restart=always` with `RestartSec=10` and no start limit: systemd's default limit (5
    starts in 10 s) can never be reached 10 s apart, so a worker that fails at once (a wrong
    PREFECT_API_URL, a missing virtualenv) was started again every ~16 s for ever, a traceback
    each time, and `systemctl --failed` never named it. Now a few failed starts within the
    window leave the unit failed."""
    worker = unit("newsmon-worker.service")
    interval = seconds(worker.get("Unit", "StartLimitIntervalSec", fallback=str(DEFAULT_INTERVAL)))
    burst = int(worker.get("Unit", "StartLimitBurst", fallback=str(DEFAULT_BURST)))
    restart_sec = seconds(worker.get("Service", "RestartSec", fallback="0.1"))
    assert not worker.has_option("Service", "StartLimitIntervalSec")  # [Unit]'s since systemd 230
    assert 0 < burst <= 10
    assert burst * restart_sec < interval, (burst, restart_sec, interval)  # the limit is reachable


def test_a_worker_started_before_its_server_answers_waits_for_it() -> None:
    """At boot the worker starts as soon as prefect-server.service is started, before the API
    listens; without a work-pool type, `prefect worker start` asks the API for it and exits 1
    ("Unable to reach the Prefect API to determine the type of work pool"). With the pool's
    type given it starts, and keeps trying the API: a server restart or a slow boot counts
    against no start limit."""
    argv = shlex.split(unit("newsmon-worker.service").get("Service", "ExecStart"))
    assert argv[argv.index("start") - 1 :][:2] == ["worker", "start"]
    assert "--type" in argv and argv[argv.index("--type") + 1] == "process", argv
    assert argv[argv.index("--pool") + 1] == "newsmon"
