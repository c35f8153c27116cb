"""Delivery in tests: a corpus with queued alerts, and a pass's context wired to the fake Slack.

Alerts are queued the way the pipeline queues them (`Store.add_article` with channels), one
article per alert, so the outbox holds exactly what a test asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import update

from newsmon.clock import utcnow
from newsmon.config import Secrets, load_config
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus, StoredMatch
from newsmon.corpus.schema import AlertRow
from newsmon.pipeline import Context
from newsmon.rules import load_rules
from tests.support.articles import new_article
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack

MATCH = StoredMatch("policy", 5, [{"term": "AI Act", "field": "title"}], "the AI Act…")
FAST = {"channel_interval_seconds": 0.02, "channel_burst": 2, "max_per_second": 500}


def queue_alerts(store: Store, per_channel: Mapping[str, int], prefix: str = "a") -> list[int]:
    """Queue `n` alerts for each channel, channels interleaved by creation order."""
    ids: list[int] = []
    for channel, count in per_channel.items():
        for i in range(count):
            url = f"https://{prefix}.example/{channel.strip('#')}/{i}"
            stored = store.add_article(
                new_article(url, f"body {channel} {i}", title=f"Story {i} for {channel}"),
                [MATCH],
                "v1",
                {channel: ["policy"]},
            )
            ids.append(stored.id)
    return ids


def announce_alerts(store: Store, per_channel: Mapping[str, int]) -> list[int]:
    """Queue alerts as `queue_alerts` does and record them posted now, as delivery would: what
    a digest lists."""
    ids = queue_alerts(store, per_channel)
    with store.session() as s:
        s.execute(
            update(AlertRow)
            .where(AlertRow.article_id.in_(ids))
            .values(status=AlertStatus.SENT, sent_at=utcnow(), slack_ts="1.0")
        )
    return ids


def config_path(folder: Path, database_url: str, **slack: Any) -> Path:
    """A configuration for delivery tests: the given database, fast pacing unless overridden."""
    return write_config(folder, database_url=database_url, slack={**FAST, **slack})


def context(config: Path, fake: FakeSlack | None, *, webhook: bool = False) -> Context:
    """A pass's context on `config` whose secrets point at the fake Slack."""
    cfg = load_config(config)
    if fake is None:
        secrets = Secrets()
    elif webhook:
        secrets = Secrets(slack_webhook_url=fake.webhook_url)
    else:
        secrets = Secrets(slack_bot_token=fake.token, slack_api_url=fake.api_url)
    return Context(cfg, load_rules(cfg.topics_path()), Store.open(cfg.database_url), secrets)
