"""A 6-hourly digest across both DST changes in a zone that has them (Europe/London): Prefect
fires `0 */6 * * *` at 00, 06, 12 and 18 local time, 5 or 7 hours apart on a change day. The
window alone (6 real hours back from the run's hour) overlaps the last period by an hour in
spring and leaves an hour out in autumn; a channel's period starts where its last digest ended
(`next_start`), so the periods still tile: no story listed twice, none in no digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsmon.digest import next_start, window

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize("first_day", ["2026-03-28", "2026-10-24"])
def test_six_hourly_digests_tile_across_a_dst_change(first_day: str) -> None:
    base = datetime.fromisoformat(first_day)
    runs = [
        (base + timedelta(hours=h)).replace(tzinfo=LONDON).astimezone(UTC) for h in range(0, 72, 6)
    ]
    last_end: datetime | None = None
    covered = timedelta(0)
    for run in runs:
        since, until = window(run + timedelta(seconds=20), timedelta(hours=6), LONDON)
        start = since if last_end is None else next_start(last_end, since, until)
        assert last_end is None or start == last_end, (run, since, last_end)
        assert until.astimezone(LONDON).hour % 6 == 0  # it ends at the run's own local hour
        covered += until - start
        last_end = until
    assert covered == runs[-1] - runs[0] + timedelta(hours=6)
