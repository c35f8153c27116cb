"""Entry dates as Korean sites and placeholder-writing systems write them."""

from datetime import UTC, datetime, timedelta
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


@pytest.mark.parametrize(
    "placeholder",
    [
        "<pubDate>Thu, 01 Jan 1970 00:00:00 +0000</pubDate>",
        "<pubDate>Thu, 01 Jan 1970 09:00:00 +0900</pubDate>",  # 0 formatted in Seoul
        "<pubDate>1970-01-01 00:00:00</pubDate>",
        '<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">1970-01-01T00:00:00Z</dc:date>',
    ],
)
def test_an_entry_dated_at_the_unix_epoch_is_undated(placeholder: str) -> None:
    """A CMS with no date for an entry writes time 0: the story, new, was 56 years old to
    `alerts.max_age_hours` and its alert was skipped ("older than 72 h when first seen"), or
    showed 1970. Undated, it takes its page's date or the time it was first seen."""
    feed = (
        '<rss version="2.0"><channel><title>f</title><item><title>t</title>'
        f"<link>http://a.example/1</link>{placeholder}</item></channel></rss>"
    )
    (entry,) = parse_feed(feed.encode(), "http://a.example/feed", zone="Asia/Seoul").entries
    assert entry.published is None


def test_an_epoch_placeholder_gives_way_to_the_entrys_other_date() -> None:
    feed = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>f</title><entry><id>1</id><title>t</title>'
        '<link href="http://a.example/1"/><published>1970-01-01T00:00:00Z</published>'
        "<updated>2026-11-30T06:04:00Z</updated></entry></feed>"
    )
    json_feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "f", "items": [{"id": "1",'
        ' "url": "http://a.example/1", "title": "t", "date_published": "1970-01-01T00:00:00Z",'
        ' "date_modified": "2026-11-30T06:04:00Z"}]}'
    )
    for data in (feed, json_feed):
        (entry,) = parse_feed(data.encode(), "http://a.example/feed").entries
        assert entry.published == datetime(2026, 11, 30, 6, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    ["Mon Nov 30 15:04:00 KST 2026", "Mon Nov 30 15:04:00 JST 2026", "Mon Nov 30 15:04 KST 2026"],
)
def test_a_date_in_javas_notation_keeps_its_zone(raw: str) -> None:
    """Java's Date.toString(), which Korean sites' feeds print, writes the zone before the year:
    read as UTC, a 15:04 story showed 00:04 the next day in its alert."""
    assert parse_date(raw) == datetime(2026, 11, 30, 6, 4, tzinfo=UTC)
    (entry,) = parse_feed(_rss(raw), "http://a.example/feed").entries
    assert entry.published == datetime(2026, 11, 30, 6, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Shanghai", datetime(2026, 11, 30, 7, 4, tzinfo=UTC)),  # China Standard Time
        ("Asia/Taipei", datetime(2026, 11, 30, 7, 4, tzinfo=UTC)),
        ("America/Chicago", datetime(2026, 11, 30, 21, 4, tzinfo=UTC)),  # US Central
        (None, datetime(2026, 11, 30, 21, 4, tzinfo=UTC)),  # RFC 822's CST, as before
    ],
)
def test_cst_is_the_feeds_own_zone_when_that_zone_is_called_so(
    zone: str | None, expected: datetime
) -> None:
    """ "CST" names US Central (RFC 822) and China Standard Time; email.utils reads only the
    first. A Chinese or Taiwanese feed given `timezone: Asia/Shanghai` had every story dated
    14 hours late. A name the feed's zone goes by, as written there, is that zone."""
    raw = "Mon, 30 Nov 2026 15:04:00 CST"
    assert parse_date(raw, ZoneInfo(zone) if zone else None) == expected
    (entry,) = parse_feed(_rss(raw), "http://a.example/feed", zone=zone).entries
    assert entry.published == expected


# 1764500000 seconds after the epoch: 30 November 2025, 10:53:20 UTC
STAMPED = datetime(2025, 11, 30, 10, 53, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    "dated",
    [
        "<pubDate>1764500000</pubDate>",
        "<pubDate>1764500000000</pubDate>",  # milliseconds, as JavaScript writes them
        "<pubDate> 1764500000.25 </pubDate>",
        '<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">1764500000</dc:date>',
    ],
)
def test_an_entry_dated_by_a_unix_timestamp_is_read_as_utc(dated: str) -> None:
    """Some CMSs and JSON-to-RSS bridges write a bare Unix time; feedparser's fallback read
    "1764500000" as 1 November 1764: the new story was 261 years old to `alerts.max_age_hours`
    and its alert was skipped. Seconds and milliseconds are read as the UTC time they count."""
    feed = (
        '<rss version="2.0"><channel><title>f</title><item><title>t</title>'
        f"<link>http://a.example/1</link>{dated}</item></channel></rss>"
    )
    (entry,) = parse_feed(feed.encode(), "http://a.example/feed", zone="Asia/Seoul").entries
    assert entry.published is not None
    assert entry.published.replace(microsecond=0) == STAMPED


def test_an_atom_or_json_entry_dated_by_a_unix_timestamp_is_read_as_utc() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>f</title><entry><id>1</id><title>t</title>'
        '<link href="http://a.example/1"/><updated>1764500000000</updated></entry></feed>'
    )
    json_feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "f", "items": [{"id": "1",'
        ' "url": "http://a.example/1", "title": "t", "date_published": 1764500000}]}'
    )
    for data in (atom, json_feed):
        (entry,) = parse_feed(data.encode(), "http://a.example/feed").entries
        assert entry.published == STAMPED


@pytest.mark.parametrize("number", ["176450000", "17645000000", "1764500000123456", "-1764500000"])
def test_a_bare_number_that_counts_no_sane_time_is_no_date(number: str) -> None:
    """A number of neither 10 digits (seconds: 2001 to 2286) nor 13 (milliseconds, the same
    span) is no date: feedparser dated each 1 November 1764, a story never alerted."""
    assert parse_date(number) is None
    (entry,) = parse_feed(_rss(number), "http://a.example/feed").entries
    assert entry.published is None


def _hours_ago(hours: int, zone: ZoneInfo | None = None) -> datetime:
    """A whole hour `hours` before now, in `zone` (UTC when None)."""
    now = datetime.now(zone or UTC).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(hours=hours)


@pytest.mark.parametrize("shape", ["%Y%m%d%H", "%Y%m%d%H%M", "%Y%m%d%H%M%S"])
def test_a_compact_local_time_is_read_as_written_not_as_a_unix_time(shape: str) -> None:
    """Some Korean CMSs and URL-derived dates write "2026113015" (YYYYMMDDHH): read as a Unix
    time it was a date of 2034, shown in the alert, and an old story looked new to
    `alerts.max_age_hours`. A Unix time more than a day ahead is no Unix time; the number is
    the calendar time it spells, in the feed's zone (12 and 14 digits: with minutes, seconds)."""
    written = _hours_ago(5, SEOUL).replace(minute=7 if "%M" in shape else 0)
    written = written.replace(second=9 if "%S" in shape else 0)
    raw = written.strftime(shape)
    assert parse_date(raw, SEOUL) == written
    (entry,) = parse_feed(_rss(raw), "http://a.example/feed", zone="Asia/Seoul").entries
    assert entry.published == written


def test_a_unix_time_of_now_stays_a_unix_time() -> None:
    """The rule above leaves the Unix times of news alone: they are never a day ahead."""
    out = _hours_ago(1)
    assert parse_date(str(int(out.timestamp()))) == out
    assert parse_date(str(int(out.timestamp()) * 1000)) == out
    # a number of 10 digits that is neither a Unix time of now nor a calendar hour: no date
    assert parse_date("2026133015") is None
