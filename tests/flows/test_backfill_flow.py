"""The real `backfill` flow: re-classify the corpus after a rule change, quietly unless asked,
and `--dry-run` to see the diff first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.corpus import Store
from newsmon.devsite import SiteServer
from tests.conftest import SHIPPED_TOPICS
from tests.flows.test_monitor_flow import EXPECTED_ALERTS, alerts_posted, run_monitor, site_config
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")


def changed_rules(tmp_path: Path) -> Path:
    """Shipped rules plus a (silly) policy term that the phone review carries, and an
    ai-safety exclusion that the US AISI story carries."""
    text = SHIPPED_TOPICS.read_text(encoding="utf-8")
    text = text.replace(
        '        - "regulation"\n', '        - "regulation"\n        - "charger"\n', 1
    )
    marker = "  ai-safety:\n"
    assert marker in text
    text = text.replace(marker, marker + '    exclude:\n      en: ["deep layoffs"]\n', 1)
    path = tmp_path / "topics-changed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_backfill_replays_rules_without_flooding(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    from flows.backfill import backfill

    run_monitor(site_config(tmp_path, site))
    assert len(slack.top_level()) == len(EXPECTED_ALERTS)
    slack.reset()

    changed = site_config(tmp_path, site, topics=changed_rules(tmp_path))
    today = datetime.now(UTC).date()

    quiet = backfill(since=today - timedelta(days=1), config_path=str(changed))
    assert quiet.outcome.articles == 11  # originals only: the wire copy is not re-classified
    assert quiet.outcome.added == {"policy": 1} and quiet.outcome.removed == {"ai-safety": 1}
    assert quiet.alerts_sent == 0 and slack.posts == []

    # A range before anything was seen touches nothing.
    empty = backfill(
        since=today - timedelta(days=30), until=today - timedelta(days=2), config_path=str(changed)
    )
    assert empty.outcome.articles == 0

    loud = backfill(since=today, alerts=True, config_path=str(changed))
    assert loud.outcome.changed == 0  # already applied by the quiet run
    assert alerts_posted(slack) == [("/en/phone-review.html", "#ai-policy")]

    again = backfill(since=today, alerts=True, config_path=str(changed))
    assert again.alerts_sent == 0 and len(slack.top_level()) == 1

    # A deployment run naming a feed the configuration lacks (a typo) fails, as the command
    # does, instead of completing over no article at all.
    with pytest.raises(ValueError, match="no feed named 'frontier-wir'"):
        backfill(since=today, feed="frontier-wir", config_path=str(changed))


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
    run_monitor(site_config(tmp_path, site))
    assert sorted(alerts_posted(slack)) == sorted(EXPECTED_ALERTS)
    before = stored_topics(tmp_path / "corpus.db")
    slack.reset()

    rules = tmp_path / "changed.yaml"
    rules.write_text(CHANGED_RULES, encoding="utf-8")
    config = site_config(tmp_path, site, topics=rules)
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
