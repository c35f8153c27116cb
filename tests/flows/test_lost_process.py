"""The worker's report of a flow run whose process died (`flows.common.record_lost_process`,
the `on_crashed` hook of every flow): the run's row is marked crashed with Prefect's reason,
without the secrets a message may quote. The whole path on a real server, with a SIGKILL:
tests/integration/test_prefect_chaos.py (NEWSMON_TEST_CHAOS=1)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from flows.common import record_lost_process
from prefect import flow as flow_decorator
from prefect.client.schemas.objects import FlowRun
from prefect.states import Crashed
from sqlalchemy import select

from newsmon.alerts import build_message
from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import AlertJob, AlertStatus, FeedSpec, RunStatus
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import deliver
from newsmon.pipeline.claims import CLAIM_LEASE, new_owner
from newsmon.slack.senders import SlackWebSender
from tests.support.configs import write_config
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_a_killed_flow_runs_row_is_marked_crashed_without_the_secrets_its_reason_quotes(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, feeds=[])
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    flow_run = FlowRun(flow_id=uuid.uuid4(), parameters={"config_path": str(config)})
    try:
        run_id = store.runs.start_run("monitor", flow_run_id=str(flow_run.id))
        other = store.runs.start_run("monitor", flow_run_id=str(uuid.uuid4()))
        said = (
            "Flow run infrastructure exited with non-zero status code -9 while posting with "
            "xoxb-1234567890-abcdefghij to postgresql://newsmon:hunter2@db/newsmon"
        )
        held, kept = claim_two_feeds(store, str(flow_run.id))
        record_lost_process(None, flow_run, Crashed(message=said))
        # the killed pass's feed is free at once, not when its lease lapses; another's stays
        assert store.feeds.claim_holders() == {"kept": kept} and held.endswith(str(flow_run.id))
        [run] = [r for r in store.runs.recent_runs("monitor") if r.id == run_id]
        assert run.status is RunStatus.CRASHED and run.finished_at is not None
        assert run.error is not None and "status code -9" in run.error
        assert "xoxb-1234567890" not in run.error and "hunter2" not in run.error
        [untouched] = [r for r in store.runs.recent_runs("monitor") if r.id == other]
        assert untouched.status is RunStatus.RUNNING
    finally:
        store.close()


def test_a_killed_runs_alert_claims_are_given_back_at_once_and_each_alert_posted_once(
    tmp_path: Path, slack: FakeSlack, db_url: str
) -> None:
    """A delivery killed mid-batch (SIGKILL, out of memory) left its alerts `sending` for their
    whole lease (10 min): the next pass skipped them. The worker's hook lets them go at once,
    flagged as a lapsed lease: the one Slack took before the kill is found in the channel's
    history, not posted again; the one never posted goes out once; a live run's claim holds."""
    from datetime import timedelta

    config = config_path(tmp_path, db_url)
    ctx = context(config, slack)
    flow_run = FlowRun(flow_id=uuid.uuid4(), parameters={"config_path": str(config)})
    try:
        ctx.store.runs.start_run("monitor", flow_run_id=str(flow_run.id))
        queue_alerts(ctx.store, {"#news": 3})
        ctx.store.flow_run = str(flow_run.id)  # the killed run's delivery
        killed = ctx.store.new_claim(timedelta(minutes=10))
        posted, unposted = ctx.store.outbox.claim_alerts(killed, 2)
        sender = SlackWebSender(slack.token, base_url=slack.api_url, timeout=5)
        sender.post(build_message(posted))  # Slack took it; the kill came before its record
        ctx.store.flow_run = str(uuid.uuid4())  # a live run's delivery holds the third
        [live] = ctx.store.outbox.claim_alerts(ctx.store.new_claim(timedelta(minutes=10)), 1)

        record_lost_process(None, flow_run, Crashed(message="exited with status code -9"))
        outcome = deliver(ctx)

        assert (outcome.sent, outcome.recovered) == (2, 1), outcome  # one found, not reposted
        titles = [p["text"] for p in slack.top_level("#news")]
        for job in (posted, unposted):
            assert sum(str(job.title) in t for t in titles) == 1, (job.title, titles)
        assert all(str(live.title) not in t for t in titles)
        assert ctx.store.count_alerts(AlertStatus.SENT) == 2
        assert ctx.store.count_alerts(AlertStatus.SENDING) == 1  # the live run's, untouched
    finally:
        ctx.close()


def test_a_crash_hook_run_by_the_crashing_process_itself_leaves_its_outbox_claims_held(
    tmp_path: Path,
) -> None:
    """Prefect's engine also runs `on_crashed` in the run's own process as it dies (SIGTERM,
    SystemExit): a post of its delivery may still be in flight there, so its alerts stay
    claimed (another pass would not find that post yet and post it again); the runner's hook,
    once the process is gone, gives them back."""
    from datetime import timedelta

    from flows.common import open_context

    config = write_config(tmp_path, feeds=[])
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")

    @flow_decorator(name="crashing-delivery", on_crashed=[record_lost_process])
    def crashing(config_path: str) -> None:
        ctx = open_context(config_path)
        try:
            ctx.store.outbox.claim_alerts(ctx.store.new_claim(timedelta(minutes=10)), 1)
        finally:
            ctx.close()
        raise SystemExit(9)

    try:
        queue_alerts(store, {"#news": 1})
        with pytest.raises(SystemExit):
            crashing(str(config))
        with store.session() as s:
            [row] = s.scalars(select(AlertRow)).all()
        assert row.status is AlertStatus.SENDING
        assert row.lease_until is not None and row.lease_until > utcnow()
    finally:
        store.close()


def test_a_run_prefect_ended_without_its_process_is_marked_crashed_by_the_next_pass(
    tmp_path: Path,
) -> None:
    """The worker was lost with its flow run: no hook ran, the row stayed `running`, and
    Prefect marked the run Crashed once its heartbeats stopped (deployments/automations.yaml).
    The next monitor pass asks Prefect about the rows left open and records the crash then,
    not an hour later; a row whose flow run Prefect still shows Running, and one Prefect does
    not know, stay open. The lost run's feeds are freed; its alert claims are not (Prefect's
    word alone does not prove its process gone)."""
    import asyncio
    from datetime import timedelta

    from flows.monitor import monitor
    from prefect.client.orchestration import get_client
    from prefect.states import Running

    async def flow_run_in(state: Any) -> str:
        async with get_client() as client:

            @flow_decorator(name="lost-run-probe")
            def probe() -> None:  # only its flow runs are used, never run
                pass

            run = await client.create_flow_run(probe, state=state)
        return str(run.id)

    config = write_config(tmp_path, feeds=[])
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        lost_id = asyncio.run(flow_run_in(Crashed(message="no heartbeat for 120 s")))
        alive_id = asyncio.run(flow_run_in(Running()))
        lost = store.runs.start_run("monitor", flow_run_id=lost_id)
        _, kept = claim_two_feeds(store, lost_id, other=alive_id)
        alive = store.runs.start_run("digest", flow_run_id=alive_id)
        unknown = store.runs.start_run("monitor", flow_run_id=str(uuid.uuid4()))
        queue_alerts(store, {"#news": 2})
        held: dict[str, AlertJob] = {}  # an alert claimed by each run's delivery, for 10 minutes
        for fid in (lost_id, alive_id):
            store.flow_run = fid
            [held[fid]] = store.outbox.claim_alerts(store.new_claim(timedelta(minutes=10)), 1)

        asyncio.run(monitor(config_path=str(config)))

        runs = {r.id: r for r in store.runs.recent_runs(limit=10)}
        assert runs[lost].status is RunStatus.CRASHED and runs[lost].finished_at is not None
        assert "Prefect: Crashed: no heartbeat for 120 s" in (runs[lost].error or "")
        assert runs[alive].status is RunStatus.RUNNING
        assert runs[unknown].status is RunStatus.RUNNING
        assert store.feeds.claim_holders() == {"kept": kept}  # the lost run's feed is free
        with store.session() as s:
            rows = {r.id: r for r in s.scalars(select(AlertRow))}
        # Prefect alone says the lost run ended (its heartbeats stopped reaching the server: its
        # process may be alive and posting), so both alerts keep their claims to their lease
        for fid in (lost_id, alive_id):
            row = rows[held[fid].id]
            assert row.status is AlertStatus.SENDING, fid
            assert row.lease_until is not None and row.lease_until > utcnow(), fid
    finally:
        store.close()


def claim_two_feeds(store: Store, flow_run: str, other: str | None = None) -> tuple[str, str]:
    """Feed "held" claimed by a pass of `flow_run`, feed "kept" by another run's pass (of
    `other`, or outside Prefect): their owners. A pass's claims lapse after 5 minutes."""
    states = store.feeds.sync_feeds(
        [
            FeedSpec("held", "http://127.0.0.1/held.xml", None),
            FeedSpec("kept", "http://127.0.0.1/kept.xml", None),
        ]
    )
    owners = {"held": new_owner(flow_run), "kept": new_owner(other)}
    for name, owner in owners.items():
        got = store.feeds.claim_feeds(
            [states[name].id], owner, pass_started=utcnow(), lease=CLAIM_LEASE, force=True
        )
        assert list(got) == [states[name].id]
    assert store.feeds.claim_holders() == owners
    return owners["held"], owners["kept"]
