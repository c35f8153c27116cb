"""Which channels get a digest: one per Slack channel, whatever the configuration called it
during the period (renamed, or spelled by name and later by its ID). Real delivery and
slack_sdk client against the fake Slack on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from newsmon.corpus.schema import AlertRow, DigestRow, SlackChannelRow
from newsmon.digest import FOLLOW_WITHIN
from newsmon.pipeline import deliver
from newsmon.pipeline.context import Context
from newsmon.pipeline.digests import DigestResult, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack, Scripted

NOW = datetime.now(UTC)
PERIOD = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))


def _digest(ctx: Context, channel: str | None = None) -> DigestResult:
    sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
    return run_digest(ctx, sender, *PERIOD, channel=channel)


def _wait_over(ctx: Context) -> None:
    """The hour Slack asked a digest to wait (kept in its pending row and for its channel) is
    over."""
    with ctx.store.session() as s:
        s.execute(update(DigestRow).values(lease_until=NOW - timedelta(minutes=1)))
        s.execute(update(SlackChannelRow).values(wait_until=None))


def _digest_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [
        p for p in fake.posts if (p.get("metadata") or {}).get("event_type") == "newsmon_digest"
    ]


@pytest.mark.parametrize("renamed", ["#ai-research", "id"])
def test_a_channel_renamed_during_the_period_gets_one_digest_of_all_its_stories(
    tmp_path: Path, db_url: str, fake: FakeSlack, renamed: str
) -> None:
    """Digests were per configured spelling: on the day `#ai-news` became `#ai-research` in
    Slack and in the configuration, the old name's digest was refused (channel_not_found) by
    every call for 7 days and its stories never listed; spelled by its ID instead, the channel
    got two digests that day, each with part of its stories."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        queue_alerts(ctx.store, {"#ai-news": 2}, prefix="before")
        assert deliver(ctx).sent == 2
        slack_id = fake.channel_id("#ai-news")
        if renamed == "id":
            renamed = slack_id
        else:  # renamed in Slack: the old name is no longer known there
            fake.channels[renamed.lstrip("#")] = fake.channels.pop("ai-news")
            fake.unknown_channels.add("#ai-news")
        queue_alerts(ctx.store, {renamed: 1}, prefix="after")
        assert deliver(ctx).sent == 1

        result = _digest(ctx)
        assert result.unfinished == 0
        assert result.channels == {renamed: "3 stories in 1 message(s)"}
        [post] = _digest_posts(fake)
        assert post["channel_id"] == slack_id
        assert _digest(ctx).posted == 0  # once per period
        assert len(_digest_posts(fake)) == 1
    finally:
        ctx.close()


@pytest.mark.parametrize("renamed", ["#ai-research", "id"])
def test_a_late_digest_of_a_renamed_channel_starts_where_the_old_name_s_ended(
    tmp_path: Path, db_url: str, fake: FakeSlack, renamed: str
) -> None:
    """A channel's next digest starts where its last one ended, whatever the configuration
    called it then: a late run after a rename (or after spelling it by its ID) took the day
    back from its own hour, and the stories between the old name's digest and that were in
    none."""
    ctx = context(config_path(tmp_path, db_url), fake)
    sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
    try:
        ids = queue_alerts(ctx.store, {"#ai-news": 2}, prefix="before")
        assert deliver(ctx).sent == 2
        with ctx.store.session() as s:
            for article_id, hours in zip(ids, (30, 24.5), strict=True):
                s.execute(
                    update(AlertRow)
                    .where(AlertRow.article_id == article_id)
                    .values(sent_at=NOW - timedelta(hours=hours))
                )
        yesterday = (NOW - timedelta(hours=49), NOW - timedelta(hours=25))
        assert run_digest(ctx, sender, *yesterday).channels == {
            "#ai-news": "1 story in 1 message(s)"
        }
        slack_id = fake.channel_id("#ai-news")
        if renamed == "id":
            renamed = slack_id
        else:
            fake.channels[renamed.lstrip("#")] = fake.channels.pop("ai-news")
            fake.unknown_channels.add("#ai-news")
        queue_alerts(ctx.store, {renamed: 1}, prefix="after")
        assert deliver(ctx).sent == 1

        late = run_digest(ctx, sender, NOW - timedelta(hours=23), NOW + timedelta(hours=1))
        assert list(late.channels) == [renamed] and late.unfinished == 0
        with ctx.store.session() as s:
            row = s.scalars(select(DigestRow).where(DigestRow.channel == renamed)).one()
            assert (row.period_start, row.stories) == (yesterday[1], 2)
        assert len(_digest_posts(fake)) == 2
    finally:
        ctx.close()


def test_a_late_digest_lists_a_story_of_a_channel_quiet_the_day_before(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A channel with nothing in the day before's digest has no digest to follow: a late run
    took the day back from its own hour, and its story announced after the day before's run
    was in no digest. A channel whose stories are all in the run's own day starts there."""
    ctx = context(config_path(tmp_path, db_url), fake)
    sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
    try:
        ids = queue_alerts(ctx.store, {"#a": 1, "#b": 1, "#c": 1})
        assert deliver(ctx).sent == 3
        with ctx.store.session() as s:
            for article_id, hours in zip(ids, (30, 23.5, 1), strict=True):
                s.execute(
                    update(AlertRow)
                    .where(AlertRow.article_id == article_id)
                    .values(sent_at=NOW - timedelta(hours=hours))
                )
        yesterday = (NOW - timedelta(hours=48), NOW - timedelta(hours=24))
        assert list(run_digest(ctx, sender, *yesterday).channels) == ["#a"]
        late = (NOW - timedelta(hours=22), NOW + timedelta(hours=2))  # due 2 hours before
        assert list(run_digest(ctx, sender, *late).channels) == ["#b", "#c"]
        with ctx.store.session() as s:
            rows = s.execute(select(DigestRow.channel, DigestRow.period_start, DigestRow.stories))
            starts = {channel: (start, n) for channel, start, n in rows}
        assert starts["#b"] == (late[1] - FOLLOW_WITHIN, 1)  # none of its week was listed
        assert starts["#c"] == (late[0], 1)
    finally:
        ctx.close()


def test_a_digest_left_unfinished_before_its_channel_was_renamed_is_finished_there(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A digest left for a later call (a long Retry-After) was resumed under the name it began
    with; the channel renamed in Slack meanwhile, every later call was refused
    (channel_not_found) and failed for 7 days, and the stories were in no digest."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        queue_alerts(ctx.store, {"#ai-news": 2})
        assert deliver(ctx).sent == 2
        slack_id = fake.channel_id("#ai-news")
        fake.channel_script["#ai-news"] = [
            Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})
        ]
        assert _digest(ctx).left == ["#ai-news"]
        _wait_over(ctx)
        fake.channels["ai-research"] = fake.channels.pop("ai-news")  # renamed in Slack
        fake.unknown_channels.add("#ai-news")
        ctx.close()  # and in the configuration
        ctx = context(config_path(tmp_path, db_url, default_channel="#ai-research"), fake)
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        later = run_digest(ctx, sender, PERIOD[1], PERIOD[1] + timedelta(hours=24))
        assert later.unfinished == 0, later.lines()
        [post] = _digest_posts(fake)
        assert post["channel_id"] == slack_id
        assert "2 stories" in post["text"]
    finally:
        ctx.close()


def test_a_digest_for_the_new_name_of_a_renamed_channel_finishes_the_old_name_s_digest(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """`newsmon digest --channel #ai-research` after `#ai-news` was renamed so (Slack's ID
    unchanged) looked for unfinished digests under the new name only: the one left under the
    old name was neither finished nor reported as left, and that period was skipped as "begun
    and left unfinished by another call", the command succeeding."""
    ctx = context(config_path(tmp_path, db_url), fake)
    try:
        ids = queue_alerts(ctx.store, {"#ai-news": 2})
        assert deliver(ctx).sent == 2
        with ctx.store.session() as s:  # posted yesterday
            s.execute(
                update(AlertRow)
                .where(AlertRow.article_id.in_(ids))
                .values(sent_at=NOW - timedelta(hours=3))
            )
        yesterday = (NOW - timedelta(hours=26), NOW - timedelta(hours=2))
        slack_id = fake.channel_id("#ai-news")
        fake.channel_script["#ai-news"] = [
            Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3600"})
        ]
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        assert run_digest(ctx, sender, *yesterday).left == ["#ai-news"]
        _wait_over(ctx)
        fake.channels["ai-research"] = fake.channels.pop("ai-news")  # renamed in Slack
        fake.unknown_channels.add("#ai-news")
        ctx.close()  # and in the configuration, where alerts go under the new name since
        ctx = context(config_path(tmp_path, db_url, default_channel="#ai-research"), fake)
        queue_alerts(ctx.store, {"#ai-research": 1}, prefix="after")
        assert deliver(ctx).sent == 1
        sender = make_sender(ctx.secrets, ctx.config.slack, required=True)
        again = run_digest(ctx, sender, *yesterday, channel="#ai-research")
        assert again.posted == 1 and again.unfinished == 0, again.lines()
        [post] = _digest_posts(fake)
        assert post["channel_id"] == slack_id and "2 stories" in post["text"]
        today = run_digest(
            ctx, sender, yesterday[1], NOW + timedelta(hours=1), channel="#ai-research"
        )
        assert today.posted == 1 and today.unfinished == 0, today.lines()
        assert [p["text"].split(": ")[1].split(",")[0] for p in _digest_posts(fake)] == [
            "2 stories",
            "1 story",
        ]
    finally:
        ctx.close()
