"""The real `digest` flow run daily across the spring DST change, at the times Prefect fires a
daily cron schedule in `slack.timezone` (see tests/unit/test_digest_periods.py): every story
announced is in exactly one digest of its channel."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flows.digest
import pytest
from sqlalchemy import select

import newsmon.corpus.engine
from newsmon.corpus import Store
from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import AlertRow, DigestRow
from newsmon.devsite import SiteServer
from tests.flows.test_monitor_flow import CHANNELS, FEEDS, run_monitor
from tests.support.configs import write_config
from tests.support.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# when the alerts went out, in turn: before, in and after the hour 02:00-03:00 EST of 7 March
SENT = [_utc(t) for t in ("2026-03-06 12:00", "2026-03-07 07:30", "2026-03-07 08:30")]
SENT.append(_utc("2026-03-08 12:00"))
RUNS = {  # New York, 8 March 2026: 02:00 EST is 03:00 EDT
    "02:00": ["2026-03-07 07:00", "2026-03-08 07:00", "2026-03-09 06:00"],
    "03:00": ["2026-03-07 08:00", "2026-03-08 07:00", "2026-03-09 07:00"],
}


@pytest.mark.parametrize("at", sorted(RUNS))
def test_daily_digests_across_the_spring_change_hold_every_story_once(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, at: str
) -> None:
    """Scheduled at 02:00 New York time, the digest of 8 March runs at 03:00 EDT and began at
    03:00 the day before, while 7 March's had ended at 02:00: the stories announced in that
    hour were in no digest."""
    config = write_config(
        tmp_path,
        feeds=FEEDS,
        base=site.base,
        channels=CHANNELS,
        default_channel="#ai-news",
        slack={"timezone": "America/New_York"},
    )
    run_monitor(config)
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        with store.session() as s:
            sent = s.scalars(
                select(AlertRow).where(AlertRow.status == AlertStatus.SENT).order_by(AlertRow.id)
            ).all()
            assert len(sent) >= len(SENT)
            for n, row in enumerate(sent):
                row.sent_at = SENT[n % len(SENT)]
        runs = [_utc(run) + timedelta(seconds=20) for run in RUNS[at]]
        for run in runs:
            monkeypatch.setattr(flows.digest, "utcnow", lambda run=run: run)
            # the period ends by the database's clock (SQLite: the host's)
            monkeypatch.setattr(newsmon.corpus.engine, "utcnow", lambda run=run: run)
            flows.digest.digest(since_hours=24, config_path=str(config))
        with store.session() as s:
            digested = Counter(
                (row.channel, story["article_id"])
                for row in s.scalars(select(DigestRow))
                for story in row.content or []
            )
        # every story of the three days, as one period over them all would list it
        whole = (runs[0] - timedelta(hours=24)).replace(second=0), runs[-1].replace(second=0)
        expected = Counter(
            (channel, story.article_id)
            for channel in store.digests.digest_channels(*whole)
            for story in store.digests.digest_stories(channel, *whole)
        )
    finally:
        store.close()
    assert len(expected) >= len(SENT)
    assert digested == expected
