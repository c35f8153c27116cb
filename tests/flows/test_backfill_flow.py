"""The real `backfill` flow: re-classify the corpus after a rule change, quietly unless asked,
and `--dry-run` to see the diff first."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
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
    marker_term = '        - "legislation"\n'
    assert marker_term in text  # a silent no-op replace would make the replay find nothing
    text = text.replace(marker_term, marker_term + '        - "charger"\n', 1)
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
    assert quiet.outcome.articles == 11  # stories: the wire copy is replayed with its head
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

    # Parameters typed into the Prefect UI: an end before the start re-classified nothing and
    # completed, the last day of the calendar crashed on its day after, and an emptied topic
    # list re-classified nothing; now the first two fail in one line, the list means no filter.
    with pytest.raises(ValueError, match=r"until .* is before since"):
        backfill(since=today, until=today - timedelta(days=1), config_path=str(changed))
    with pytest.raises(ValueError, match="until 9999-12-31 is past the last day"):
        backfill(since=today, until=date.max, config_path=str(changed))
    assert backfill(since=today, topics=[], config_path=str(changed)).outcome.articles == 11


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
    assert again.exit_code == 0 and "0 articles would change" in again.output


def per_pass_config(
    tmp_path: Path, site: SiteServer, name: str, topics: Path, per_pass: int
) -> Path:
    """The sample site's configuration sending at most `per_pass` alerts a pass."""
    from tests.flows.test_monitor_flow import CHANNELS, FEEDS
    from tests.support.configs import write_config

    return write_config(
        tmp_path,
        name=name,
        feeds=FEEDS,
        base=site.base,
        topics=topics,
        channels=CHANNELS,
        default_channel="#ai-news",
        slack={"max_per_pass": per_pass},
    )


def test_a_queued_alert_whose_topic_the_rules_drop_is_not_sent(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """Alerts wait in the outbox (a backlog past slack.max_per_pass); the rules change and a
    quiet backfill drops a topic from a story: its queued alert for that topic is withdrawn,
    not posted by the next pass, and the operator is told."""

    def config(name: str, topics: Path, per_pass: int) -> Path:
        return per_pass_config(tmp_path, site, name, topics, per_pass)

    run_monitor(config("first.yaml", SHIPPED_TOPICS, 1))
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        queued = {(urlsplit(j.url).path, j.channel) for j in store.pending_alerts(100)}
    finally:
        store.close()
    assert ("/en/ftc-ai-inquiry.html", "#ai-policy") in queued  # waiting, not sent yet
    rules = tmp_path / "changed.yaml"
    rules.write_text(CHANGED_RULES, encoding="utf-8")

    quiet = runner.invoke(
        app, ["backfill", "--since", "2000-01-01", "--config", str(config("b.yaml", rules, 1))]
    )
    assert quiet.exit_code == 0, quiet.output
    assert "policy" not in stored_topics(tmp_path / "corpus.db")["/en/ftc-ai-inquiry.html"]
    found = re.search(r"queued alerts withdrawn: (\d+)", quiet.output)
    assert found, quiet.output
    withdrawn = int(found.group(1))
    assert withdrawn >= 1  # the FTC story's #ai-policy alert at least

    run_monitor(config("drain.yaml", rules, 100))  # the next pass sends the whole backlog
    posted = alerts_posted(slack)
    assert ("/en/ftc-ai-inquiry.html", "#ai-policy") not in posted
    assert len(posted) == len(EXPECTED_ALERTS) - withdrawn  # every other alert went out


def test_a_dry_run_shows_the_queued_alerts_the_backfill_would_withdraw(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """Alerts wait in the outbox and the rules drop a topic: the dry run showed the lost
    topic but no withdrawal, so the operator who approved it saw queued alerts held back by
    the real run."""
    from flows.backfill import backfill

    run_monitor(per_pass_config(tmp_path, site, "first.yaml", SHIPPED_TOPICS, 1))
    rules = tmp_path / "changed.yaml"
    rules.write_text(CHANGED_RULES, encoding="utf-8")
    config = str(per_pass_config(tmp_path, site, "b.yaml", rules, 1))
    since = datetime.now(UTC).date()

    dry = backfill(since=since, config_path=config, dry_run=True)
    diffs = {d.article_id: d for d in dry.diffs or ()}
    printed = "\n".join(dry.cli_lines())
    real = backfill(since=since, config_path=config)

    assert real.outcome.alerts_withdrawn >= 1
    assert dry.outcome.alerts_withdrawn == real.outcome.alerts_withdrawn
    assert sum(len(d.withdrawn) for d in diffs.values()) == real.outcome.alerts_withdrawn
    assert f"queued alerts withdrawn: {real.outcome.alerts_withdrawn}" in printed
    ftc = next(d for d in diffs.values() if "FTC" in (d.title or ""))
    assert "#ai-policy" in ftc.withdrawn


def test_a_topic_dry_run_counts_the_articles_the_backfill_re_classifies(
    tmp_path: Path, site: SiteServer, slack: FakeSlack
) -> None:
    """With `--topic`, the real run re-classifies only the articles that had or now get the
    topic; the dry run counted every article of the range."""
    from flows.backfill import backfill

    run_monitor(site_config(tmp_path, site))
    rules = tmp_path / "changed.yaml"
    rules.write_text(CHANGED_RULES, encoding="utf-8")
    config = str(site_config(tmp_path, site, topics=rules))
    since = datetime.now(UTC).date()

    dry = backfill(since=since, config_path=config, dry_run=True, topics=["policy"])
    real = backfill(since=since, config_path=config, topics=["policy"])

    assert 0 < real.outcome.articles < 11
    assert (dry.outcome.articles, dry.outcome.changed) == (
        real.outcome.articles,
        real.outcome.changed,
    )
