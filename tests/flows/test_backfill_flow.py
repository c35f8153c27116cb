"""The real `backfill` flow: re-classify the corpus after a rule change, quietly unless asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsmon.devsite import SiteServer
from tests.conftest import SHIPPED_TOPICS
from tests.flows.test_monitor_flow import EXPECTED_ALERTS, alerts_posted, run_monitor, write_config
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

    run_monitor(write_config(tmp_path, site))
    assert len(slack.posts) == len(EXPECTED_ALERTS)
    slack.reset()

    changed = write_config(tmp_path, site, topics=changed_rules(tmp_path))
    today = datetime.now(UTC).date()

    quiet = backfill(since=today - timedelta(days=1), config_path=str(changed))
    assert quiet["articles"] == 11  # originals only: the wire copy is not re-classified
    assert quiet["added"] == {"policy": 1} and quiet["removed"] == {"ai-safety": 1}
    assert quiet["alerts_sent"] == 0 and slack.posts == []

    # A range before anything was seen touches nothing.
    empty = backfill(
        since=today - timedelta(days=30), until=today - timedelta(days=2), config_path=str(changed)
    )
    assert empty["articles"] == 0

    loud = backfill(since=today, alerts=True, config_path=str(changed))
    assert loud["changed"] == 0  # already applied by the quiet run
    assert alerts_posted(slack) == [("/en/phone-review.html", "#ai-policy")]

    again = backfill(since=today, alerts=True, config_path=str(changed))
    assert again["alerts_sent"] == 0 and len(slack.posts) == 1
