"""The deployment as an operator runs it: a real Prefect server, `prefect deploy`, a worker.

Everything runs in subprocesses on loopback with its own PREFECT_HOME and PREFECT_API_URL, the
commands being the ones the README's runbook gives. The flow run reads the sample site
(newsmon.devsite) through config/demo.yaml, stores into the corpus named by the worker's
NEWSMON_DATABASE_URL (PostgreSQL when NEWSMON_TEST_POSTGRES_URL is set, else SQLite) and posts to
the fake Slack; site and Slack are served from this process. About a minute on two cores: the server takes ~15 s to start, each worker pass ~10 s.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from newsmon.devsite import SiteServer
from tests.conftest import ROOT
from tests.flows.test_monitor_flow import EXPECTED_ALERTS, alerts_posted
from tests.support.fake_slack import FakeSlack

PREFECT = [sys.executable, "-m", "prefect", "--no-prompt"]
SYSTEMD = ROOT / "deployments" / "systemd"
INSTALLED_PREFECT = "/opt/newsmon/.venv/bin/prefect"  # where the runbook installs it
SERVER_START_TIMEOUT = 120.0  # seconds; ~15 s on an idle 2-core machine
CLI_TIMEOUT = 90.0
WORKER_TIMEOUT = 180.0
PG_URL = os.environ.get("NEWSMON_TEST_POSTGRES_URL", "")
# The tests that start a server (about a minute): `make test-server` and CI run them, `make
# test` leaves them out for its ten minutes; the unit files' checks below run in both.
ON_A_SERVER = [
    pytest.mark.server,
    pytest.mark.skipif(
        os.environ.get("NEWSMON_TEST_SERVER") != "1", reason="NEWSMON_TEST_SERVER=1 runs them"
    ),
]


def on_a_server(test: Any) -> Any:
    for mark in reversed(ON_A_SERVER):
        test = mark(test)
    return test


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(log: Path, lines: int = 60) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start in its own process group, so that stopping it stops whatever it spawned too."""
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd,
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `grace` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    # Whatever is left of the group: the leader if it ignored SIGTERM, or what it spawned
    # (the flow run a worker started).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10.0)


def run(cmd: list[str], env: dict[str, str], log: Path, timeout: float) -> str:
    """Run a command to its end within `timeout` seconds; return its output, fail on non-zero."""
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"")
    proc = start(cmd, env, log)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"{' '.join(cmd[2:])} still running after {timeout:.0f} s:\n{tail(log)}"
        ) from None
    finally:
        stop(proc)
    output = log.read_text(encoding="utf-8", errors="replace")
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} exited {code}:\n{tail(log)}")
    return output


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as section -> key -> values (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate((SYSTEMD / name).read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"{name}:{number}: not key=value in a section"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def unit_command(name: str) -> list[str]:
    """The unit's ExecStart as arguments to `python -m prefect`, run from this checkout."""
    [line] = unit(name)["Service"]["ExecStart"]
    argv = shlex.split(line.replace("%H", "test"))
    assert argv[0] == INSTALLED_PREFECT, line
    return [sys.executable, "-m", "prefect", *argv[1:]]


@dataclass
class PrefectServer:
    api_url: str
    home: Path
    logs: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every command: this server, nothing from the caller's Prefect."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(
            PREFECT_HOME=str(self.home),
            PREFECT_API_URL=self.api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_UI_ENABLED="false",
        )
        env.pop("NEWSMON_HOME", None)  # set for the worker only, as the runbook says
        env.update(extra)
        return env

    def prefect(self, *args: str, log: str, timeout: float = CLI_TIMEOUT, **env: str) -> str:
        return run([*PREFECT, *args], self.env(**env), self.logs / f"{log}.log", timeout)


def wait_healthy(proc: subprocess.Popen[bytes], api_url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited {proc.returncode}:\n{tail(log)}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(
        f"prefect server not healthy after {SERVER_START_TIMEOUT:.0f} s:\n{tail(log)}"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A Prefect server on loopback with the `newsmon` work pool and both deployments."""
    tmp = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    srv = PrefectServer(f"http://127.0.0.1:{port}/api", tmp / "home", tmp / "logs")
    srv.logs.mkdir()
    log = srv.logs / "server.log"
    # No scheduler: the cron schedule must not create runs a --run-once worker could pick up
    # (they would read config/newsmon.yaml, i.e. the real feeds). The schedule itself is checked.
    cmd = [*unit_command("prefect-server.service"), "--host", "127.0.0.1", "--port", str(port)]
    proc = start([*cmd, "--no-scheduler", "--no-ui", "--analytics-off"], srv.env(), log)
    try:
        wait_healthy(proc, srv.api_url, log)
        srv.prefect("work-pool", "create", "newsmon", "--type", "process", log="work-pool")
        srv.prefect("deploy", "--prefect-file", "deployments/prefect.yaml", "--all", log="deploy")
        yield srv
    finally:
        stop(proc)


def trigger_and_work(
    server: PrefectServer, name: str, runs: int = 1, **worker_env: str
) -> list[UUID]:
    """`prefect deployment run` the monitor on the demo config, then one worker poll runs it."""
    ids = []
    for i in range(runs):
        out = server.prefect(
            "deployment",
            "run",
            "monitor/monitor",
            "-p",
            "config_path=config/demo.yaml",
            log=f"{name}-trigger-{i}",
        )
        found = re.search(r"UUID: ([0-9a-f-]{36})", out)
        assert found, out
        ids.append(UUID(found.group(1)))
    # The worker unit's own command line, polling once.
    worker = [*unit_command("newsmon-worker.service"), "--run-once"]
    run(worker, server.env(**worker_env), server.logs / f"{name}-worker.log", WORKER_TIMEOUT)
    return ids


@pytest.fixture
def corpus_url(tmp_path: Path) -> str:
    """An empty corpus: on PostgreSQL as in production when the suite has one, else SQLite."""
    if not PG_URL:
        return f"sqlite:///{tmp_path / 'corpus.db'}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return PG_URL


def worker_env(site: SiteServer, slack: FakeSlack, corpus_url: str) -> dict[str, str]:
    """What the worker's EnvironmentFile holds in production, plus the demo site's address."""
    return {
        "NEWSMON_HOME": str(ROOT),  # the checkout the pull step moves to
        "NEWSMON_DATABASE_URL": corpus_url,
        "SLACK_BOT_TOKEN": slack.token,
        "NEWSMON_SLACK_API_URL": slack.api_url,
        "DEMO_BASE": site.base,  # read by config/demo.yaml
    }


def read_run(server: PrefectServer, run_id: UUID) -> dict[str, Any]:
    """The flow run's final state, logs and artifacts, read back through Prefect's client."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        LogFilter,
        LogFilterFlowRunId,
    )

    with SyncPrefectClient(server.api_url) as client:
        flow_run = client.read_flow_run(run_id)
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=200
        )
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    return {
        "state": flow_run.state,
        "logs": "\n".join(entry.message for entry in logs),
        "artifacts": {a.key: a for a in artifacts},
    }


def shipped_monitor() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text(encoding="utf-8"))
    monitor: dict[str, Any] = next(d for d in doc["deployments"] if d["name"] == "monitor")
    return monitor


@on_a_server
def test_deployments_are_registered_as_declared(server: PrefectServer) -> None:
    """The server holds what deployments/prefect.yaml says: schedule, one run at a time, pool."""
    from prefect.client.orchestration import SyncPrefectClient

    declared = shipped_monitor()
    with SyncPrefectClient(server.api_url) as client:
        monitor = client.read_deployment_by_name("monitor/monitor")
        backfill = client.read_deployment_by_name("backfill/backfill")
    assert monitor.work_pool_name == "newsmon" and backfill.work_pool_name == "newsmon"
    [schedule] = monitor.schedules
    assert schedule.active
    assert schedule.schedule.cron == declared["schedules"][0]["cron"]
    assert monitor.global_concurrency_limit is not None
    assert monitor.global_concurrency_limit.limit == declared["concurrency_limit"]["limit"]
    assert monitor.concurrency_options is not None
    strategy = monitor.concurrency_options.collision_strategy
    assert strategy.value == declared["concurrency_limit"]["collision_strategy"]
    assert not backfill.schedules
    # heartbeats every 30 s, which the lost-run automation (deployments/automations.yaml) needs
    assert monitor.job_variables["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30"
    # Deployed without NEWSMON_HOME set, the placeholder is left for each worker to resolve.
    assert monitor.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $NEWSMON_HOME }}"}}
    ]


@on_a_server
def test_monitor_run_by_a_worker_completes_and_posts(
    server: PrefectServer, site: SiteServer, slack: FakeSlack, corpus_url: str
) -> None:
    # Two runs due at once (a pass triggered by hand as the scheduled one starts): one runs,
    # the other is cancelled by the deployment's concurrency limit, not queued behind it.
    first, second = trigger_and_work(server, "monitor", 2, **worker_env(site, slack, corpus_url))

    runs = [read_run(server, run_id) for run_id in (first, second)]
    worker_log = tail(server.logs / "monitor-worker.log")
    kinds = sorted(str(run["state"].type.value) for run in runs)
    assert kinds == ["CANCELLED", "COMPLETED"], f"{[r['state'] for r in runs]}\n{worker_log}"
    [done] = [run for run in runs if run["state"].is_completed()]
    [cancelled] = [run for run in runs if run["state"].is_cancelled()]
    assert cancelled["state"].message == "Deployment concurrency limit reached."

    posted = alerts_posted(slack)
    assert sorted(posted) == sorted(EXPECTED_ALERTS)  # every expected alert, none twice
    assert "monitor-summary" in done["artifacts"]
    assert "monitor pass:" in done["logs"]
    assert slack.token not in done["logs"]


@on_a_server
def test_monitor_run_with_revoked_token_ends_failed(
    server: PrefectServer, site: SiteServer, slack: FakeSlack, corpus_url: str
) -> None:
    # A fresh corpus, so that the pass has alerts to deliver; Slack no longer knows the token.
    env = worker_env(site, slack, corpus_url)
    slack.token = "xoxb-issued-after-revocation"
    [run_id] = trigger_and_work(server, "revoked", **env)

    found = read_run(server, run_id)
    state = found["state"]
    assert state is not None
    assert not slack.posts  # Slack accepted nothing
    assert env["SLACK_BOT_TOKEN"] not in (state.message or "") + found["logs"]
    assert state.is_failed(), f"{state!r}"


# --- the service files an operator installs (deployments/systemd) ---------------------------

UNITS = ["prefect-server.service", "newsmon-worker.service"]


def env_file(name: str) -> dict[str, str]:
    """An EnvironmentFile example as key -> value, checking the syntax systemd accepts."""
    values: dict[str, str] = {}
    for number, raw in enumerate((SYSTEMD / name).read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*=\S*", line), f"{name}:{number}: {line!r}"
        key, _, value = line.partition("=")
        assert key not in values, f"{name}:{number}: {key} set twice"
        values[key] = value
    return values


@pytest.mark.parametrize("name", UNITS)
def test_unit_files_pass_systemd_analyze_verify(name: str, tmp_path: Path) -> None:
    """systemd's own check (unknown keys, bad values, missing binary), on a copy whose
    ExecStart points at this checkout's prefect instead of /opt/newsmon."""
    verify = shutil.which("systemd-analyze")
    if not verify:
        pytest.skip("systemd-analyze is not installed")
    prefect = Path(sys.executable).parent / "prefect"
    text = (SYSTEMD / name).read_text(encoding="utf-8").replace(INSTALLED_PREFECT, str(prefect))
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [verify, "verify", "--man=no", str(tmp_path / name)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Warnings go to stderr with a zero exit status; only those about other units may remain.
    own = [line for line in result.stderr.splitlines() if name in line]
    assert own == [], result.stderr


def test_environment_file_examples_hold_no_secret() -> None:
    for name in ("prefect-server.env.example", "worker.env.example"):
        for key, value in env_file(name).items():
            if any(word in key for word in ("TOKEN", "WEBHOOK", "PASSWORD", "SECRET", "KEY")):
                assert value == "", f"{name}: {key} must be left empty"
            assert not re.search(r"xox[abpr]-", value), f"{name}: {key}"
            if "://" in value:
                assert urlsplit(value).password is None, f"{name}: {key} carries a password"


def test_units_and_environment_files_agree() -> None:
    server, worker = unit("prefect-server.service"), unit("newsmon-worker.service")
    for service in (server, worker):
        [path] = service["Service"]["EnvironmentFile"]
        assert path.startswith("/etc/newsmon/")
        assert (SYSTEMD / f"{Path(path).name}.example").is_file(), path
    server_env, worker_env = env_file("prefect-server.env.example"), env_file("worker.env.example")
    # The worker talks to the server the server unit starts, and runs flows in its checkout.
    api = urlsplit(worker_env["PREFECT_API_URL"])
    assert (api.hostname, api.port, api.path) == (
        server_env["PREFECT_SERVER_API_HOST"],
        int(server_env["PREFECT_SERVER_API_PORT"]),
        "/api",
    )
    assert worker["Service"]["WorkingDirectory"] == [worker_env["NEWSMON_HOME"]]
    assert INSTALLED_PREFECT.startswith(worker_env["NEWSMON_HOME"] + "/")
    # What a flow run reads from its environment, and Prefect's own database on PostgreSQL.
    assert {"NEWSMON_DATABASE_URL", "SLACK_BOT_TOKEN"} <= set(worker_env)
    assert worker_env["NEWSMON_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert server_env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert "prefect-server.service" in worker["Unit"]["After"][0].split()
