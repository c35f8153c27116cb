"""The real `digest` flow as an operator sees it in the runs table (`newsmon runs`): a digest
that Slack refuses, or that is stopped by its timeout, leaves a row saying so."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect.flow_engine import FlowRunTimeoutError
from sqlalchemy import select, update
from typer.testing import CliRunner

from newsmon.cli import EXIT_PASS_FAILED, app
from newsmon.clock import utcnow
from newsmon.corpus import Store
from newsmon.corpus.records import RunRecord, RunStatus
from newsmon.corpus.schema import AlertRow, DigestRow, SlackChannelRow
from newsmon.devsite import SiteServer
from newsmon.pipeline.digests import run_digest
from newsmon.slack import CredentialError, make_sender
from tests.flows.test_monitor_flow import run_monitor, site_config
from tests.support.delivery import announce_alerts, config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted
from tests.support.postgres import PG_URL, throwaway_schema

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _announced_two_hours_ago(tmp_path: Path, site: SiteServer) -> Path:
    """A corpus whose alerts went out two hours ago: the digest's period (ending at the last
    whole hour) holds them."""
    config = site_config(tmp_path, site)
    run_monitor(config)
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        with store.session() as s:
            for row in s.scalars(select(AlertRow)):
                row.created_at = row.created_at - timedelta(hours=2)
                if row.sent_at is not None:
                    row.sent_at = row.sent_at - timedelta(hours=2)
    finally:
        store.close()
    return config


def _wait_over(tmp_path: Path) -> None:
    """The hour Slack asked a digest left unfinished to wait (kept in its row, and as its
    channel's wait) is over."""
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        with store.session() as s:
            s.execute(update(DigestRow).values(lease_until=utcnow() - timedelta(minutes=1)))
            s.execute(update(SlackChannelRow).values(wait_until=None))
    finally:
        store.close()


def _digest_runs(tmp_path: Path) -> list[RunRecord]:
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        return store.runs.recent_runs("digest")
    finally:
        store.close()


def test_a_digest_slack_refuses_is_recorded_as_failed_not_completed(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    from flows.digest import digest

    config = _announced_two_hours_ago(tmp_path, site)
    slack.token = "xoxb-revoked"  # the environment still sends the old one
    with pytest.raises(CredentialError):
        digest(since_hours=48, config_path=str(config))
    [run] = _digest_runs(tmp_path)
    assert run.status is RunStatus.FAILED, run
    assert run.error is not None and "invalid_auth" in run.error
    assert "xoxb" not in run.error


def test_a_digest_stopped_by_its_timeout_is_recorded_as_crashed(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    from flows.digest import digest

    config = _announced_two_hours_ago(tmp_path, site)
    slack.delay_before = 8  # Slack hangs on the first part
    with pytest.raises(FlowRunTimeoutError):
        digest.with_options(timeout_seconds=3)(since_hours=48, config_path=str(config))
    [run] = _digest_runs(tmp_path)
    assert run.status is RunStatus.CRASHED, run
    assert run.error is not None and "timed out" in run.error and run.finished_at is not None


def test_a_digest_left_for_a_later_call_fails_the_run_and_the_next_call_finishes_it(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """The next call is usually a day away: a digest Slack put off (a Retry-After of an hour)
    must not end as a green run and an exit 0 that nobody looks at."""
    from flows.digest import digest

    from newsmon.pipeline.digests import DigestsUnfinished

    config = _announced_two_hours_ago(tmp_path, site)
    put_off = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})
    slack.channel_script["#ai-policy"] = [put_off]
    with pytest.raises(DigestsUnfinished) as raised:
        digest(since_hours=48, config_path=str(config))
    assert raised.value.result.left == ["#ai-policy"]
    # the command, an hour later, is put off again: it says so too, then why it failed, exit 5
    _wait_over(tmp_path)
    slack.channel_script["#ai-policy"] = [put_off]
    cli = CliRunner().invoke(app, ["digest", "--since", "48h", "--config", str(config)])
    assert cli.exit_code == EXIT_PASS_FAILED, cli.output
    assert "  #ai-policy: 0 of 1 part(s) posted: Slack asked to wait 3600s" in cli.output
    assert "newsmon: the digest failed: 1 digest(s) not finished: #ai-policy: 0 of" in cli.output
    run = _digest_runs(tmp_path)[1]  # the flow's own, before the command's
    assert run.status is RunStatus.FAILED, run
    assert run.error is not None and run.error.startswith("1 digest(s) not finished: #ai-policy")
    assert "#ai-policy" in run.error and "Retry-After" in run.error
    assert run.summary is not None and run.summary["unfinished"] == 1
    posted = {p["channel"] for p in slack.posts if p["metadata"]["event_type"] == "newsmon_digest"}
    assert "#ai-policy" not in posted and posted  # the other channels went out

    _wait_over(tmp_path)
    finished = digest(since_hours=48, config_path=str(config))
    assert finished.unfinished == 0 and finished.posted == 1
    newest = _digest_runs(tmp_path)[0]
    assert newest.status is RunStatus.COMPLETED and newest.error is None


def test_a_digest_part_slack_refuses_for_its_content_fails_that_run_only(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """A part refused for its content (`msg_too_long`) would be refused by every later call:
    the run that met it fails and says so, the next one is not held back by it."""
    from flows.digest import digest

    from newsmon.pipeline.digests import DigestsUnfinished

    config = _announced_two_hours_ago(tmp_path, site)
    slack.channel_script["#ai-policy"] = [Scripted(200, {"ok": False, "error": "msg_too_long"})]
    with pytest.raises(DigestsUnfinished) as raised:
        digest(since_hours=48, config_path=str(config))
    assert raised.value.result.refused == ["#ai-policy"] and not raised.value.result.left
    [run] = _digest_runs(tmp_path)
    assert run.status is RunStatus.FAILED and run.error is not None
    assert "#ai-policy" in run.error and "msg_too_long" in run.error
    assert run.summary is not None and run.summary["refused"] == 1

    again = digest(since_hours=48, config_path=str(config))
    assert again.posted == 0 and not again.refused and again.unfinished == 0
    assert _digest_runs(tmp_path)[0].status is RunStatus.COMPLETED


@pytest.mark.postgres
def test_a_digest_host_whose_clock_runs_ahead_ends_its_period_by_the_database_s_clock(
    tmp_path: Path, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Posts are stamped in the database server's clock; the digest's period ended at the last
    whole hour of its own host's clock. A host an hour ahead listed a period the database had
    not reached: a post stamped after the digest, inside that period, was in no digest (the
    next one starts where this one ended). The period now ends by the database's clock."""
    import flows.digest
    from flows.digest import digest

    import newsmon.pipeline.digests

    if not PG_URL:
        pytest.skip("NEWSMON_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with throwaway_schema(prefix="ahead") as url:
        config = config_path(tmp_path, url)
        store = Store.open(url)
        try:
            [first] = announce_alerts(store, {"#a": 1})
            with store.session() as s:  # posted two hours ago: in the period
                s.execute(update(AlertRow).values(sent_at=utcnow() - timedelta(hours=2)))
            [second] = queue_alerts(store, {"#a": 1}, prefix="b")
            claim = store.new_claim(timedelta(minutes=30))
            [job] = store.outbox.claim_alerts(claim, 10)

            def ahead() -> datetime:
                return datetime.now(UTC) + timedelta(hours=1)

            for module in (flows.digest, newsmon.pipeline.digests):
                if hasattr(module, "utcnow"):  # digests read the database's clock only
                    monkeypatch.setattr(module, "utcnow", ahead)
            digest(since_hours=24, config_path=str(config))
            monkeypatch.undo()
            # delivered after the digest, stamped by the database: in the next digest
            assert store.outbox.alert_sent(claim, job.id, destination="#a", slack_ts="2.0")
            ctx = context(config, slack)
            try:
                sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
                run_digest(ctx, sender, utcnow() - timedelta(hours=24), utcnow() + timedelta(1))
            finally:
                ctx.close()
            with store.session() as s:
                contents = s.scalars(select(DigestRow.content)).all()
            listed = Counter(int(i["article_id"]) for c in contents for i in c or [])
            assert listed == {first: 1, second: 1}
        finally:
            store.close()
