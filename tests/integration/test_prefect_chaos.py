"""Crashes, cancellations and overlaps on a real Prefect server lose or repeat no alert.

The same parts as test_prefect_server.py (a `prefect server`, `prefect deploy` of
deployments/prefect.yaml, the worker unit's command line), but a worker that keeps polling
while the test breaks things under it: the flow run's process killed while Slack holds a post's
answer, the run cancelled through the API, a pass by hand overlapping a deployment run, the
server stopped in the middle of a pass. Each test then lets a later pass finish the delivery
and checks Slack's final state (every story exactly once per channel), the corpus (nothing left
pending or sending, the runs table) and what `newsmon health` tells the operator.

Claims last LEASE seconds here instead of 10 minutes, so the next pass may take over what a
killed one held without waiting; every wait is a poll with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psutil
import pytest
import yaml

from newsmon.corpus import Store
from newsmon.corpus.records import RunRecord, RunStatus
from newsmon.devsite import SiteServer
from tests.conftest import ROOT
from tests.flows.test_monitor_flow import CHANNELS, EXPECTED_ALERTS, FEEDS, alerts_posted
from tests.integration.test_prefect_server import (
    PrefectServer,
    corpus_url,
    start,
    stop,
    tail,
    unit_command,
    wait_healthy,
    worker_env,
)
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack

__all__ = ["corpus_url"]  # the fixture, shared with test_prefect_server.py

# About three minutes on two cores (a server start, eight passes, a restart): out of the default
# suite; `NEWSMON_TEST_CHAOS=1 make test` or `pytest -m chaos` with it set runs them.
pytestmark = [
    pytest.mark.chaos,
    pytest.mark.skipif(
        os.environ.get("NEWSMON_TEST_CHAOS") != "1", reason="NEWSMON_TEST_CHAOS=1 runs them"
    ),
]

LEASE = 4.0  # seconds a delivery's claim lasts (production: 600)
# Seconds without a heartbeat before the automation crashes a run (production: 120); runs send
# one every 30 s (deployments/prefect.yaml), Prefect's shortest interval.
ZOMBIE_WITHIN = 40
STATE_TIMEOUT = 120.0  # seconds for a flow run to reach a state on a busy 2-core machine


class Server(PrefectServer):
    """The server unit's command on loopback, which a test may stop and start again (same port,
    same database under PREFECT_HOME)."""

    def __init__(self, tmp: Path) -> None:
        from tests.integration.test_prefect_server import free_port

        self.port = free_port()
        super().__init__(f"http://127.0.0.1:{self.port}/api", tmp / "home", tmp / "logs")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # No scheduler: runs are created by the tests only.
        cmd = [*unit_command("prefect-server.service"), "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--no-scheduler", "--no-ui", "--analytics-off"]
        log = self.logs / "server.log"
        self.proc = start(cmd, self.env(), log)
        wait_healthy(self.proc, self.api_url, log)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def apply_automations(self, tmp: Path) -> None:
        """deployments/automations.yaml, applied twice (the second run updates, not adds), with
        ZOMBIE_WITHIN seconds instead of 120 so a lost run is Crashed within the test."""
        shipped = yaml.safe_load((ROOT / "deployments" / "automations.yaml").read_text())
        for automation in shipped["automations"]:
            automation["trigger"]["within"] = ZOMBIE_WITHIN
        path = tmp / "automations.yaml"
        path.write_text(yaml.safe_dump(shipped), encoding="utf-8")
        for _ in range(2):
            subprocess.run(
                [sys.executable, str(ROOT / "deployments" / "automations.py"), "--file", str(path)],
                env=self.env(),
                check=True,
                capture_output=True,
                timeout=60,
            )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A Prefect server with the work pool and the shipped deployments."""
    srv = Server(tmp_path_factory.mktemp("prefect-chaos"))
    srv.logs.mkdir()
    try:
        srv.start()
        srv.prefect("work-pool", "create", "newsmon", "--type", "process", log="work-pool")
        srv.prefect("deploy", "--prefect-file", "deployments/prefect.yaml", "--all", log="deploy")
        srv.apply_automations(tmp_path_factory.mktemp("automations"))
        yield srv
    finally:
        srv.stop()


class Worker:
    """The worker unit's command, polling every second until stopped."""

    def __init__(self, server: PrefectServer, env: dict[str, str], log: Path) -> None:
        self.server, self.env, self.log = server, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = self.server.env(PREFECT_WORKER_QUERY_SECONDS="1", **self.env)
        self.proc = start(unit_command("newsmon-worker.service"), env, self.log)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def kill(self) -> None:
        """SIGKILL the worker and every process it started at once: the machine is lost, so
        nothing is left to run a hook or report the flow run's end."""
        assert self.proc is not None
        worker = psutil.Process(self.proc.pid)
        for proc in [*worker.children(recursive=True), worker]:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        self.proc.wait(timeout=10.0)
        self.proc = None

    def flow_process(self, timeout: float = STATE_TIMEOUT) -> psutil.Process:
        """The flow run's process the worker started."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            children = psutil.Process(self.proc.pid).children(recursive=True)
            if children:
                return children[0]
            time.sleep(0.1)
        raise TimeoutError(f"no flow run process after {timeout:.0f} s:\n{tail(self.log)}")


@pytest.fixture
def chaos(
    server: Server, site: SiteServer, fake: FakeSlack, corpus_url: str, tmp_path: Path
) -> Iterator[Chaos]:
    world = Chaos(server, site, fake, corpus_url, tmp_path)
    try:
        yield world
    finally:
        world.worker.stop()


class Chaos:
    """One test's world: the server, a worker, the sample site, Slack, the corpus, a config."""

    def __init__(
        self, server: Server, site: SiteServer, fake: FakeSlack, url: str, tmp: Path
    ) -> None:
        self.server, self.site, self.slack, self.corpus_url = server, site, fake, url
        self.config = write_config(
            tmp,
            feeds=FEEDS,
            base=site.base,
            channels=CHANNELS,
            default_channel="#ai-news",
            slack={"lease_seconds": LEASE},
        )
        self.tmp = tmp
        self.env = worker_env(site, fake, url)
        self.worker = Worker(server, self.env, server.logs / f"{tmp.name}-worker.log")

    def use_lease(self, seconds: float) -> None:
        """Claims of `seconds` instead of LEASE (the config is read at each pass)."""
        self.config = write_config(
            self.tmp,
            feeds=FEEDS,
            base=self.site.base,
            channels=CHANNELS,
            default_channel="#ai-news",
            slack={"lease_seconds": seconds},
        )

    # --- Prefect ------------------------------------------------------------------------------

    def trigger(self) -> UUID:
        """A `monitor` run of the deployment, now, on this test's configuration."""
        from prefect.client.orchestration import SyncPrefectClient

        with SyncPrefectClient(self.server.api_url) as client:
            deployment = client.read_deployment_by_name("monitor/monitor")
            run = client.create_flow_run_from_deployment(
                deployment.id, parameters={"config_path": str(self.config)}
            )
        return run.id

    def pass_in_delivery(self, answer_after: float) -> UUID:
        """A deployment run on a started worker, once it has made three posts and Slack holds
        the answer to the fourth for `answer_after` seconds: a pass in the middle of delivery."""
        self.slack.delay_after, self.slack.delay_after_from = answer_after, 3
        self.worker.start()
        run_id = self.trigger()
        self.wait_posts(4)
        return run_id

    def state(self, run_id: UUID) -> Any:
        from prefect.client.orchestration import SyncPrefectClient

        with SyncPrefectClient(self.server.api_url) as client:
            return client.read_flow_run(run_id).state

    def wait_state(
        self, run_id: UUID, done: Callable[[Any], bool], timeout: float = STATE_TIMEOUT
    ) -> Any:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.state(run_id)
            if state is not None and done(state):
                return state
            time.sleep(0.5)
        raise TimeoutError(f"run {run_id} still {state!r}:\n{tail(self.worker.log)}")

    def wait_final(self, run_id: UUID) -> Any:
        return self.wait_state(run_id, lambda s: s.is_final())

    # --- Slack and the corpus -----------------------------------------------------------------

    def wait_posts(self, count: int, timeout: float = STATE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while len(self.slack.posts) < count:
            assert time.monotonic() < deadline, f"{len(self.slack.posts)} posts:\n" + tail(
                self.worker.log
            )
            time.sleep(0.05)

    def assert_each_story_once(self) -> None:
        posted = alerts_posted(self.slack)
        twice = [key for key, n in Counter(posted).items() if n > 1]
        assert not twice, f"posted more than once: {twice}"
        assert sorted(posted) == sorted(EXPECTED_ALERTS)
        ids = Counter(self.slack.metadata_ids())
        assert set(ids.values()) == {1}, ids

    def alert_statuses(self) -> Counter[str]:
        store = Store.open(self.corpus_url, migrate=False)
        try:
            return Counter(a.status.value for a in store.list_alerts(limit=1000))
        finally:
            store.close()

    def runs(self) -> list[RunRecord]:
        store = Store.open(self.corpus_url, migrate=False)
        try:
            return store.runs.recent_runs("monitor")
        finally:
            store.close()

    def health(self) -> dict[str, Any]:
        """`newsmon health --json` with the worker's environment, as the runbook runs it."""
        env = self.server.env(**self.env)
        result = subprocess.run(
            [sys.executable, "-m", "newsmon", "health", "--json", "--config", str(self.config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode in (0, 1), result.stderr
        report: dict[str, Any] = json.loads(result.stdout)
        return report


def crashed_run(chaos: Chaos, timeout: float = 30.0) -> RunRecord:
    """The corpus's one crashed monitor run, once it is there (the worker's hook writes it just
    after Prefect's state)."""
    deadline = time.monotonic() + timeout
    while True:
        runs = chaos.runs()
        crashed = [r for r in runs if r.status is RunStatus.CRASHED]
        if crashed or time.monotonic() > deadline:
            assert len(crashed) == 1, [(r.id, r.status.value, r.error) for r in runs]
            return crashed[0]
        time.sleep(0.5)


def recover(chaos: Chaos) -> None:
    """A later pass on a Slack answering at once: it completes the delivery, and afterwards
    each story is in each of its channels exactly once, nothing pending, health clear."""
    chaos.slack.delay_after = 0.0
    time.sleep(LEASE)  # the broken pass's claims lapse (production: 10 minutes)
    again = chaos.trigger()
    state = chaos.wait_final(again)
    assert state.is_completed(), f"{state!r}\n{tail(chaos.worker.log)}"
    chaos.assert_each_story_once()
    assert chaos.alert_statuses() == {"sent": len(EXPECTED_ALERTS)}
    assert chaos.runs()[0].status is RunStatus.COMPLETED
    kinds = {p["kind"] for p in chaos.health()["problems"]}
    assert not kinds & {"last_pass_failed", "pass_stuck", "alerts_stuck", "no_pass"}, kinds


def test_a_flow_run_killed_mid_delivery_loses_and_repeats_nothing(chaos: Chaos) -> None:
    """The flow run's process is SIGKILLed (the OOM killer) while Slack holds the answer to a
    post it accepted. The run is Crashed in Prefect and, at once, in the corpus (it stayed
    `running` for an hour, `newsmon health` silent); the next pass looks the post up instead
    of posting it again and posts the rest."""
    killed = chaos.pass_in_delivery(60.0)  # the 4th post's answer never comes (in the test)
    chaos.worker.flow_process().kill()
    state = chaos.wait_final(killed)
    assert state.is_crashed(), state

    row = crashed_run(chaos)
    assert row.finished_at is not None
    assert "process ended without recording its end (Prefect: Crashed" in (row.error or "")
    problems = {p["kind"]: p["message"] for p in chaos.health()["problems"]}
    assert "process ended" in problems.get("last_pass_failed", ""), problems
    recover(chaos)
    assert len(chaos.slack.metadata_ids()) == len(EXPECTED_ALERTS)  # the 4th not posted again


def test_a_flow_run_cancelled_mid_delivery_loses_and_repeats_nothing(chaos: Chaos) -> None:
    """`prefect flow-run cancel` (the runbook's command for a hung pass) while a post's answer
    is outstanding: the run ends Cancelled, the corpus says so, the next pass finishes."""
    cancelled = chaos.pass_in_delivery(60.0)
    chaos.server.prefect("flow-run", "cancel", str(cancelled), log="cancel")
    state = chaos.wait_final(cancelled)
    assert state.is_cancelled(), state

    row = crashed_run(chaos)
    assert "cancel" in (row.error or "").lower(), row.error
    problems = {p["kind"]: p["message"] for p in chaos.health()["problems"]}
    assert "cancel" in problems.get("last_pass_failed", "").lower(), problems
    recover(chaos)


def test_a_pass_by_hand_overlapping_a_deployment_run_posts_each_story_once(
    chaos: Chaos,
) -> None:
    """A `newsmon run` from a terminal while the worker runs the deployment's pass, on one
    corpus and a slow Slack (the deployment's concurrency limit cannot see the terminal; nor
    does it hold a running pass's slot across a server restart: its leases are in memory)."""
    chaos.slack.delay_after = 0.3  # each post accepted, then answered late: deliveries overlap
    chaos.use_lease(600.0)  # the shipped lease: a slow Slack is not a lapsed claim here
    chaos.worker.start()
    scheduled = chaos.trigger()
    by_hand = subprocess.run(
        [sys.executable, "-m", "newsmon", "run", "--config", str(chaos.config)],
        env=chaos.server.env(**chaos.env),
        capture_output=True,
        text=True,
        timeout=STATE_TIMEOUT,
    )
    assert by_hand.returncode == 0, by_hand.stdout[-2000:] + by_hand.stderr[-2000:]
    state = chaos.wait_final(scheduled)
    assert state.is_completed(), f"{state!r}\n{tail(chaos.worker.log)}"
    second, first = chaos.runs()
    assert {first.status, second.status} == {RunStatus.COMPLETED}
    assert first.finished_at is not None and second.started_at < first.finished_at  # overlapped
    chaos.assert_each_story_once()
    assert chaos.alert_statuses() == {"sent": len(EXPECTED_ALERTS)}


def test_a_server_restart_mid_pass_loses_nothing(chaos: Chaos) -> None:
    """The Prefect server is restarted (an upgrade, a crash) while a pass delivers: the pass
    goes on without it, reports its end once the server is back, and nothing is lost or
    repeated; alerts the pass left (Slack too slow for its claims) go out with the next."""
    run_id = chaos.pass_in_delivery(8.0)
    chaos.server.stop()
    time.sleep(5.0)  # down for a while: the pass goes on meanwhile
    chaos.server.start()
    state = chaos.wait_final(run_id)
    assert state.is_completed(), f"{state!r}\n{tail(chaos.worker.log)}"
    assert chaos.runs()[0].status is RunStatus.COMPLETED
    recover(chaos)


def test_a_worker_lost_with_its_flow_run_is_crashed_and_the_next_pass_finishes(
    chaos: Chaos,
) -> None:
    """The machine is lost mid-delivery: the worker and the flow run's process are SIGKILLed
    together, so no hook runs. Prefect used to show the run Running for ever and the corpus kept
    it `running` for an hour. Now the automation crashes it once its heartbeats stop, the next
    pass records the crash in the corpus, and delivery finishes with each story exactly once."""
    lost = chaos.pass_in_delivery(60.0)
    chaos.worker.kill()
    state = chaos.wait_state(lost, lambda s: s.is_final(), timeout=ZOMBIE_WITHIN + STATE_TIMEOUT)
    assert state.is_crashed() and "no heartbeat" in (state.message or ""), state
    assert [r.status for r in chaos.runs()] == [RunStatus.RUNNING]  # nothing recorded it yet

    chaos.worker.start()
    recover(chaos)
    latest, earlier = chaos.runs()
    assert latest.status is RunStatus.COMPLETED
    assert earlier.status is RunStatus.CRASHED, earlier
    assert "Prefect: Crashed: no heartbeat" in (earlier.error or ""), earlier.error
