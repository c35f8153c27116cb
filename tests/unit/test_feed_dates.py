"""Entry dates as Korean sites and placeholder-writing systems write them."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from newsmon.dates import parse_date
from newsmon.feeds import parse_feed

SEOUL = ZoneInfo("Asia/Seoul")


def _rss(pub_date: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>f</title>'
        "<item><title>t</title><link>http://a.example/1</link>"
        f"<pubDate>{pub_date}</pubDate></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026년 11월 30일 오후 3:04", datetime(2026, 11, 30, 6, 4, tzinfo=UTC)),
        ("2026년 11월 30일 오전 9:15", datetime(2026, 11, 30, 0, 15, tzinfo=UTC)),
        ("2026년 11월 30일 오전 12:05", datetime(2026, 11, 29, 15, 5, tzinfo=UTC)),
        ("2026년 11월 30일 오후 12:05", datetime(2026, 11, 30, 3, 5, tzinfo=UTC)),
        ("2026년 11월 30일 15:04:05", datetime(2026, 11, 30, 6, 4, 5, tzinfo=UTC)),
        ("2026년 11월 30일 (월) 오후 3:04", datetime(2026, 11, 30, 6, 4, tzinfo=UTC)),
        ("2026년 11월 30일", datetime(2026, 11, 29, 15, tzinfo=UTC)),  # a day: midnight there
        ("2026-11-30 오후 3:04:00", datetime(2026, 11, 30, 6, 4, tzinfo=UTC)),
        ("2026.11.30 오후 3:04", datetime(2026, 11, 30, 6, 4, tzinfo=UTC)),
    ],
)
def test_a_korean_date_is_read_as_written(raw: str, expected: datetime) -> None:
    """Korean sites write "2026년 11월 30일 오후 3:04" (and "2026-11-30 오후 3:04:00"); unread
    here, feedparser's fallback dated the first 1 November of that year (a story of 30 November
    was a month old to `alerts.max_age_hours`: its alert was skipped; one of February showed a
    date in November) and the second midnight UTC. Only Korean sites write so: without a feed
    `timezone` the time is Seoul's, as feedparser's own Korean readers take it."""
    assert parse_date(raw) == expected
    assert parse_date(raw, SEOUL) == expected
    (entry,) = parse_feed(_rss(raw), "http://a.example/feed").entries
    assert entry.published == expected


def test_a_korean_date_is_in_the_feeds_zone_when_it_has_one() -> None:
    assert parse_date("2026년 11월 30일 오후 3:04", ZoneInfo("UTC")) == datetime(
        2026, 11, 30, 15, 4, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "raw",
    ["2026년 13월 30일 오후 3:04", "2026년 11월 31일", "2026년 11월 30일 오후 13:04", "2026년 후"],
)
def test_a_korean_date_that_is_no_date_stays_none(raw: str) -> None:
    assert parse_date(raw) is None
