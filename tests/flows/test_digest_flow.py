"""The real `digest` flow as an operator sees it in the runs table (`newsmon runs`): a digest
that Slack refuses, or that is stopped by its timeout, leaves a row saying so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prefect.flow_engine import FlowRunTimeoutError
from sqlalchemy import select
from typer.testing import CliRunner

from newsmon.cli import EXIT_PASS_FAILED, app
from newsmon.corpus import Store
from newsmon.corpus.records import RunRecord, RunStatus
from newsmon.corpus.schema import AlertRow
from newsmon.devsite import SiteServer
from newsmon.slack import CredentialError
from tests.flows.test_monitor_flow import run_monitor, site_config
from tests.support.fake_slack import FakeSlack, Scripted

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
    # the command says so too: its lines, then why it failed, exit 5
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
