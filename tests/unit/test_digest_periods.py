"""Daily digest periods across DST changes, at the times Prefect fires a daily cron schedule in
`slack.timezone` (`CronSchedule.get_dates` as of Prefect 3.9: a time the spring change skips
runs at the same offset past the change, 02:30 at 03:30; a time the autumn change repeats runs
at its first occurrence). Every moment must fall in exactly one period."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsmon.digest import FOLLOW_WITHIN, next_start, window

DAY = timedelta(hours=24)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (zone, the schedule's local time, its three runs around a change, in UTC)
SCHEDULES = [
    ("America/New_York", "02:00", ["2026-03-07 07:00", "2026-03-08 07:00", "2026-03-09 06:00"]),
    ("America/New_York", "02:30", ["2026-03-07 07:30", "2026-03-08 07:30", "2026-03-09 06:30"]),
    ("America/New_York", "03:00", ["2026-03-07 08:00", "2026-03-08 07:00", "2026-03-09 07:00"]),
    ("Europe/Berlin", "02:00", ["2026-03-28 01:00", "2026-03-29 01:00", "2026-03-30 00:00"]),
    ("Europe/Berlin", "03:00", ["2026-03-28 02:00", "2026-03-29 01:00", "2026-03-30 01:00"]),
    ("America/New_York", "01:00", ["2026-10-31 05:00", "2026-11-01 05:00", "2026-11-02 06:00"]),
    ("America/New_York", "01:30", ["2026-10-31 05:30", "2026-11-01 05:30", "2026-11-02 06:30"]),
    ("Europe/Berlin", "02:30", ["2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30"]),
]


@pytest.mark.parametrize(
    ("zone", "at", "runs"), SCHEDULES, ids=[f"{z}-{a}" for z, a, _ in SCHEDULES]
)
def test_daily_digests_tile_across_a_dst_change_at_any_hour(
    zone: str, at: str, runs: list[str]
) -> None:
    """A digest scheduled at 02:00 in New York runs at 03:00 EDT on the spring day, as one
    scheduled at 03:00 does. Its period started at 03:00 the day before, where the 03:00
    schedule's ended, but the 02:00 one's had ended at 02:00: that hour's stories were in no
    digest. The day before's recorded end (`ended`) tells the two apart."""
    ends: set[datetime] = set()
    periods = []
    for run in runs:
        # a few seconds late, as a scheduled run starts
        since, until = window(
            _utc(run) + timedelta(seconds=20), DAY, ZoneInfo(zone), ends.__contains__
        )
        periods.append((since, until))
        ends.add(until)
    for (_, end), (start, _) in itertools.pairwise(periods):
        assert start == end, (zone, at, periods)


def test_without_a_recorded_end_the_spring_day_starts_at_the_skipped_hour() -> None:
    """No digest recorded the day before (no stories, or the first run): the period starts at
    the hour the change skipped, the day before, so a schedule at 02:00 loses nothing."""
    ny = ZoneInfo("America/New_York")
    since, until = window(_utc("2026-03-08 07:00:20"), DAY, ny)
    assert (since, until) == (_utc("2026-03-07 07:00"), _utc("2026-03-08 07:00"))
    # an ordinary day, and a period shorter than a day, are as before
    assert window(_utc("2026-03-10 06:00:20"), DAY, ny) == (
        _utc("2026-03-09 06:00"),
        _utc("2026-03-10 06:00"),
    )
    assert window(_utc("2026-03-08 07:00:20"), timedelta(hours=2), ny) == (
        _utc("2026-03-08 05:00"),
        _utc("2026-03-08 07:00"),
    )


def test_a_period_starts_where_the_channel_s_last_digest_ended_within_seven_days() -> None:
    """Late, early, manual and extra runs take what the channel's digests have not listed yet;
    after a silence longer than `FOLLOW_WITHIN`, at most that far back (a longer `--since` as
    asked), never before the last digest's end."""
    until = _utc("2026-05-20 02:00")
    since = until - DAY
    bound = until - FOLLOW_WITHIN
    # no digest of the channel in a week: none of its stories since then was listed
    assert next_start(None, since, until) == bound
    late = _utc("2026-05-19 00:00")  # the day before's ended at 09:00 KST, this run at 11:00
    assert next_start(late, since, until) == late
    manual = _utc("2026-05-19 06:00")  # by hand at 15:00 KST
    assert next_start(manual, since, until) == manual
    assert next_start(until, since, until) == until  # a second call this hour: nothing left
    assert next_start(bound, since, until) == bound
    older = bound - timedelta(hours=1)
    assert next_start(older, since, until) == bound
    assert next_start(older, older - DAY, until) == older  # a long `--since`: no overlap
