"""The real `digest` flow run off its daily 09:00 schedule — late (a worker down, a catch-up),
early, by hand in between, at a changed hour, with a second schedule, or mixed with
`--since 12h` calls: every story announced in the span of the runs is in exactly one digest of
its channel, as one period over the whole span would list it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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

SEOUL = ZoneInfo("Asia/Seoul")


def _kst(text: str) -> datetime:
    """A wall time in Seoul (`slack.timezone`), in UTC: day 0 is 10 May 2026."""
    day, clock = text.split(" ")
    wall = datetime.fromisoformat(f"2026-05-{10 + int(day):02d} {clock}")
    return wall.replace(tzinfo=SEOUL).astimezone(UTC)


# when the alerts went out, in turn: one in every stretch the runs below cut differently
SENT = [
    _kst(t)
    for t in (
        "-1 20:00",
        "0 10:00",
        "0 16:00",
        "1 10:00",
        "1 12:00",
        "1 22:00",
        "2 08:30",
        "2 12:00",
        "3 12:00",
        "3 20:00",
        "4 02:00",
    )
]
# (when a run starts, its since_hours), in turn; the daily schedule fires a few seconds past
RUNS = [
    ("0 09:00:20", 24),  # on time
    ("1 11:05", 24),  # late: the worker was down
    ("1 15:00", 24),  # by hand, to test
    ("1 21:00:20", 12),  # a `--since 12h` schedule besides the daily one
    ("2 08:55", 24),  # early, by hand
    ("3 18:00:20", 24),  # the schedule moved to 18:00
    ("4 09:00:20", 24),  # and back to 09:00
]


def test_runs_off_schedule_list_every_story_once(
    tmp_path: Path, site: SiteServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run took the day (or 12 hours) back from its own last whole hour: a run at 11:05
    left yesterday's 09:00-11:00 out of every digest and tomorrow's on-time run listed today's
    09:00-11:00 again; a run by hand at 15:00 listed the morning's stories a second time."""
    config = write_config(
        tmp_path,
        feeds=FEEDS,
        base=site.base,
        channels=CHANNELS,
        default_channel="#ai-news",
        slack={"timezone": "Asia/Seoul"},
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
        for at, hours in RUNS:
            run = _kst(at)
            monkeypatch.setattr(flows.digest, "utcnow", lambda run=run: run)
            # the period ends by the database's clock (SQLite: the host's)
            monkeypatch.setattr(newsmon.corpus.engine, "utcnow", lambda run=run: run)
            flows.digest.digest(since_hours=hours, config_path=str(config))
        with store.session() as s:
            rows = s.scalars(select(DigestRow)).all()
            assert all(row.status is AlertStatus.SENT for row in rows)
            digested = Counter(
                (row.channel, story["article_id"]) for row in rows for story in row.content or []
            )
        # every story of the span, as one period over it all would list it
        whole = (_kst("-1 09:00"), _kst("4 09:00"))
        expected = Counter(
            (channel, story.article_id)
            for channel in store.digests.digest_channels(*whole)
            for story in store.digests.digest_stories(channel, *whole)
        )
    finally:
        store.close()
    assert len(expected) >= len(SENT)
    wrong = Counter(digested)
    wrong.subtract(expected)
    off = {story: n for story, n in wrong.items() if n}
    assert not off, f"(channel, story): times listed too often (-1: in no digest): {off}"
