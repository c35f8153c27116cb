"""With alerts off a digest posts nothing, so it needs no Slack credential (nor does a dry run): the monitor pass no
longer asks for one then, yet the digest flow failed on it (`slack.required: true`, every
deployment's `require_slack`), exit 4, a failed run each day of the switch-off. Through the real
CLI and flow."""

from __future__ import annotations

from pathlib import Path

import pytest
from flows.digest import digest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus import Store
from newsmon.corpus.records import RunStatus
from tests.support.configs import write_config


@pytest.mark.usefixtures("prefect_harness")
def test_a_dry_run_digest_needs_no_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`slack.required: true` failed `digest --dry-run` (CredentialError, exit 4), which only
    prints. The flow itself: one CLI flow run a process (Prefect's console keeps its output)."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    config = write_config(tmp_path, slack={"required": True})
    Store.open(
        f"sqlite:///{tmp_path / 'corpus.db'}"
    ).close()  # a dry run reads a corpus, makes none
    result = digest(dry_run=True, config_path=str(config))
    assert result.dry_run and result.credential_error is None


@pytest.mark.usefixtures("prefect_harness")
def test_a_digest_with_alerts_off_needs_no_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    config = write_config(tmp_path, slack={"required": True}, alerts={"enabled": False})
    done = CliRunner().invoke(app, ["digest", "-c", str(config)])
    assert done.exit_code == 0, done.output
    assert "off (alerts.enabled: false)" in done.output, done.output
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        [run] = store.runs.recent_runs("digest", limit=5)
        assert run.status is RunStatus.COMPLETED, run
    finally:
        store.close()
