"""The real `digest` flow as an operator sees it in the runs table (`newsmon runs`): a digest
that Slack refuses, or that is stopped by its timeout, leaves a row saying so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from prefect.flow_engine import FlowRunTimeoutError
from sqlalchemy import select

from newsmon.corpus import Store
from newsmon.corpus.records import RunRecord, RunStatus
from newsmon.corpus.schema import AlertRow
from newsmon.devsite import SiteServer
from newsmon.slack import CredentialError
from tests.flows.test_monitor_flow import run_monitor, site_config
from tests.support.fake_slack import FakeSlack

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
