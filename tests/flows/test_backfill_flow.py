"""`newsmon backfill --dry-run` through the real flow: a diff, no writes, no alerts."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.devsite import SiteServer
from newsmon.store import Store
from tests.flows.test_monitor_flow import EXPECTED_ALERTS, alerts_posted, write_config
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()

# Deliberately different rules: phone launches become "safety", the FTC story loses "policy".
CHANGED_RULES = """\
version: 2
topics:
  open-source:
    terms: {en: ["Open Source Week"], ko: ["오픈소스 주간"]}
  ai-safety:
    terms: {en: ["AI Safety Institute"], ko: ["AI 안전 연구소", "갤럭시"]}
  policy:
    terms: {en: ["AI Act"], ko: ["AI 기본법"]}
"""


def stored_topics(db: Path) -> dict[str, list[str]]:
    store = Store.open(f"sqlite:///{db}")
    try:
        return {urlsplit(a.url).path: a.topics for a in store.list_articles(limit=100)}
    finally:
        store.close()


def test_backfill_dry_run_shows_the_diff_and_changes_nothing(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    from flows.monitor import monitor

    monitor(config_path=str(write_config(tmp_path, site)))
    assert sorted(alerts_posted(slack)) == sorted(EXPECTED_ALERTS)
    before = stored_topics(tmp_path / "corpus.db")
    slack.reset()

    rules = tmp_path / "changed.yaml"
    rules.write_text(CHANGED_RULES, encoding="utf-8")
    config = write_config(tmp_path, site, topics=rules)
    args = ["backfill", "--since", "2000-01-01", "--config", str(config)]

    refused = runner.invoke(app, [*args, "--dry-run", "--alerts"])
    assert refused.exit_code == 2 and "--dry-run" in refused.output

    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "+ ai-safety" in dry.output and "갤럭시" in dry.output  # the Galaxy launch, now "safety"
    assert "- policy" in dry.output and "FTC" in dry.output  # the FTC inquiry loses policy
    assert "nothing written, nothing sent" in dry.output
    assert stored_topics(tmp_path / "corpus.db") == before
    assert slack.posts == []

    applied = runner.invoke(app, [*args, "--alerts"])
    assert applied.exit_code == 0, applied.output
    after = stored_topics(tmp_path / "corpus.db")
    assert after["/ko/galaxy-launch.html"] == ["ai-safety"]
    assert "policy" not in after["/en/ftc-ai-inquiry.html"]
    # --alerts sends only what was never sent: the Galaxy story to #ai-safety, nothing again
    assert ("/ko/galaxy-launch.html", "#ai-safety") in alerts_posted(slack)
    assert not set(alerts_posted(slack)) & EXPECTED_ALERTS

    again = runner.invoke(app, [*args, "--dry-run"])
    assert again.exit_code == 0 and "0 would change" in again.output
