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


def timer_seconds(calendar: str) -> float:
    """The spacing of an `OnCalendar=` of the form `*:0/15` or `*:07/15` (minutes)."""
    match = re.fullmatch(r"\*(?:-\*-\*\s+\*)?:\d{1,2}/(\d{1,2})(?::00)?", calendar.strip())
    assert match, f"OnCalendar={calendar} is not every N minutes"
    return float(match.group(1)) * 60


def test_a_timer_runs_newsmon_health_so_that_no_pass_at_all_shows_failed() -> None:
    """When no pass runs at all (the worker, the server or the schedule down), nothing inside
    newsmon can say so: the README only advised keeping `newsmon health` in cron. A timer
    shipped with the other units runs it every few minutes, and its service is left failed
    (`systemctl --failed`, its OnFailure= hook) when the check exits non-zero."""
    timer = unit("newsmon-health.timer")
    assert timer.get("Timer", "Unit", fallback="newsmon-health.service") == (
        "newsmon-health.service"
    )
    spacing = timer_seconds(timer.get("Timer", "OnCalendar"))
    assert 60 <= spacing <= 30 * 60, spacing
    assert timer.getboolean("Timer", "Persistent")  # a check missed while the host was off runs
    assert "timers.target" in timer.get("Install", "WantedBy").split()

    service = unit("newsmon-health.service")
    assert service.get("Service", "Type") == "oneshot"
    exec_start = service.get("Service", "ExecStart")
    assert not exec_start.startswith(("-", "+", "!", ":")), exec_start  # `-` ignores failure
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/newsmon") and argv[1:] == ["health", "--json"], argv
    # exit 1 (unhealthy), 3 (database unusable) and 7 (schema) must all fail the unit
    assert not service.has_option("Service", "SuccessExitStatus")
    # a oneshot has no start timeout by default: a hung check would never fail nor run again
    assert 0 < seconds(service.get("Service", "TimeoutStartSec")) < spacing
    worker = unit("newsmon-worker.service")
    for key in ("User", "EnvironmentFile", "WorkingDirectory"):  # the corpus the passes write
        assert service.get("Service", key) == worker.get("Service", key), key


def test_a_server_that_cannot_start_shows_failed_and_is_tried_again_later() -> None:
    """`Restart=on-failure`, `RestartSec=5` and no start limit: systemd's default (5 starts in
    10 s) is never reached 5 s apart, so a server that could not start (its database
    unreachable) was started again every few seconds for ever and `systemctl --failed` never
    named it. Now a few failed starts leave it failed; and, so that a database outage longer
    than the window does not leave it down for good, a timer starts it again while it is
    failed (only then: a server stopped on purpose stays stopped), after the window."""
    server = unit("prefect-server.service")
    interval = seconds(server.get("Unit", "StartLimitIntervalSec", fallback=str(DEFAULT_INTERVAL)))
    burst = int(server.get("Unit", "StartLimitBurst", fallback=str(DEFAULT_BURST)))
    restart_sec = seconds(server.get("Service", "RestartSec", fallback="0.1"))
    assert not server.has_option("Service", "StartLimitIntervalSec")
    assert 0 < burst <= 10
    assert burst * restart_sec < interval, (burst, restart_sec, interval)  # the limit is reachable
    assert restart_sec >= 10  # a short outage is ridden out before the limit: 5 x 30 s here

    timer = unit("prefect-server-retry.timer")
    retry_name = timer.get("Timer", "Unit")
    spacing = timer_seconds(timer.get("Timer", "OnCalendar"))
    assert interval < spacing <= 30 * 60, (interval, spacing)  # the start is allowed again
    assert "timers.target" in timer.get("Install", "WantedBy").split()
    retry = unit(retry_name)
    assert retry.get("Service", "Type") == "oneshot"
    condition = shlex.split(retry.get("Service", "ExecCondition"))
    assert condition[-3:] == ["is-failed", "--quiet", "prefect-server.service"], condition
    # systemd counts the window from the burst's first start, not from the timer's last run:
    # without a reset, a run within 10 minutes of the server's failed starts is refused
    # (start-limit-hit), and the server waits a further 15 minutes
    reset = shlex.split(retry.get("Service", "ExecStartPre", fallback=""))
    assert reset[1:] == ["reset-failed", "prefect-server.service"], reset
    assert reset[0].endswith("systemctl"), reset
    start = shlex.split(retry.get("Service", "ExecStart"))
    assert start[0].endswith("systemctl") and start[1] == "start", start
    assert start[-1] == "prefect-server.service", start
