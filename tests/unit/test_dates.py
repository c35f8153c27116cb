"""One date reader for feeds, pages and HTTP headers."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newsmon.alerts import when
from newsmon.dates import believable, parse_date, real_date
from newsmon.feeds import parse_feed

KST = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 24 Feb 2025 09:30:00 +0900", datetime(2025, 2, 24, 9, 30, tzinfo=KST)),  # RSS
        ("Sun, 06 Nov 1994 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),  # HTTP
        ("Sunday, 06-Nov-94 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),  # RFC 850
        ("2025-02-20T18:00:00-05:00", datetime(2025, 2, 20, 23, 0, tzinfo=UTC)),  # Atom
        ("2025-02-17T10:00:00Z", datetime(2025, 2, 17, 10, 0, tzinfo=UTC)),
        ("  2025-02-17  ", datetime(2025, 2, 17, tzinfo=UTC)),  # a date alone: midnight UTC
        ("Thu, 01 Jan 2099 00:00:00 -0000", datetime(2099, 1, 1, tzinfo=UTC)),  # no zone: UTC
    ],
)
def test_both_notations(raw: str, expected: datetime) -> None:
    parsed = parse_date(raw)
    assert parsed == expected and parsed is not None and parsed.tzinfo is not None


def test_the_writers_time_zone_is_kept() -> None:
    parsed = parse_date("Mon, 24 Feb 2025 09:30:00 +0900")
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=9)
    atom = parse_date("2025-02-20T18:00:00-05:00")
    assert atom is not None and atom.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize(
    "raw", ["", "   ", "not a date", "0", "-1", "yesterday", None, 1740000000, ["2025-02-17"]]
)
def test_anything_else_is_no_date(raw: object) -> None:
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59:59-10:00",  # year 10000 in UTC: cannot even be stored
        "Fri, 31 Dec 9999 23:00:00 -1000",
        "9999-12-31T23:00:00Z",  # year 10000 in Seoul: an alert could not show it
        "0001-01-01T00:00:00+10:00",  # year 0 in UTC
        "0001-01-01T05:00:00Z",
    ],
)
def test_a_date_no_time_zone_could_show_is_no_date(raw: str) -> None:
    assert parse_date(raw) is None


def test_dates_near_the_ends_that_every_zone_can_show_are_kept() -> None:
    assert parse_date("9999-12-29T00:00:00+14:00") == datetime(9999, 12, 28, 10, tzinfo=UTC)
    assert parse_date("0001-01-03T00:00:00Z") == datetime(1, 1, 3, tzinfo=UTC)


def test_a_feed_entry_dated_at_the_end_of_time_has_no_date() -> None:
    """feedparser's own reading (UTC) of a date is not a way round the bound."""
    items = "".join(
        f"<item><title>t{i}</title><link>http://a.example/{i}</link>{date}</item>"
        for i, date in enumerate(
            [
                "<pubDate>Fri, 31 Dec 9999 23:00:00 GMT</pubDate>",
                '<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">9999-12-31T23:00Z</dc:date>',
                "<pubDate>31 Dec 9999 23:30 -1000</pubDate>",
            ]
        )
    )
    feed = f'<rss version="2.0"><channel><title>f</title>{items}</channel></rss>'
    parsed = parse_feed(feed.encode(), "http://a.example/feed")
    assert [e.published for e in parsed.entries] == [None, None, None]


def test_an_alert_shows_a_date_its_zone_cannot_hold_in_utc() -> None:
    """One stored before dates were bounded: the message is built, not the delivery stopped."""
    stored = datetime(9999, 12, 31, 23, tzinfo=UTC)
    assert when(stored, ZoneInfo("Asia/Seoul")) == "9999-12-31 23:00 UTC"


@pytest.mark.parametrize(
    "raw",
    [
        "Mon, 03 Mar 2025 10:00:00 +09:00",  # an ISO-style offset in an RSS date
        "Mon, 03 Mar 2025 10:00:00 GMT+0900",
        "Mon, 03 Mar 2025 10:00:00 GMT+9",
        "Mon, 03 Mar 2025 10:00:00 UTC+09:00",
        "Mon, 03 Mar 2025 10:00:00 KST",  # a zone's name email.utils does not know
        "Mon, 03 Mar 2025 10:00:00 JST",
        "Mon, 03 Mar 2025 10:00:00 GMT +9",  # a space before the offset: email.utils read GMT
        "Mon, 03 Mar 2025 10:00:00 GMT +0900",
        "Mon, 03 Mar 2025 10:00:00 UTC +09:00",
        "Mon, 3 Mar 2025 10:00:00 UT  +9",
        "Mon, 3 Mar 2025 10:00:00+0900",
    ],
)
def test_an_rss_date_with_its_zone_written_otherwise_is_not_read_as_utc(raw: str) -> None:
    """email.utils reads only "+0900" and US zone names; the rest came out naive, taken as UTC:
    a Korean story dated nine hours after it came out."""
    assert parse_date(raw) == datetime(2025, 3, 3, 1, tzinfo=UTC)


def test_a_four_letter_september_is_read() -> None:
    """email.utils knows "Sep" and "September" but not "Sept" (a sample feed in ../shared):
    the entry was undated."""
    expected = datetime(2005, 9, 26, 12, 46, 23, tzinfo=UTC)
    assert parse_date("Mon, 26 Sept 2005 21:46:23+0900") == expected
    assert parse_date("Mon, 26 SEPT 2005 21:46:23 +0900") == expected
    assert parse_date("Mon, 26 Septembre 2005 21:46:23 +0900") is None  # not English: as before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 03 Mar 2025 10:00:00 -05:00", datetime(2025, 3, 3, 15, tzinfo=UTC)),
        ("Mon, 03 Mar 2025 10:00:00 CEST", datetime(2025, 3, 3, 8, tzinfo=UTC)),
        ("Mon, 03 Mar 2025 10:00:00 -0000", datetime(2025, 3, 3, 10, tzinfo=UTC)),  # unknown
        ("Mon, 03 Mar 2025 10:00:00 XYZT", datetime(2025, 3, 3, 10, tzinfo=UTC)),  # as before
    ],
)
def test_other_zones_after_an_rss_date(raw: str, expected: datetime) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sat, Dec 16 2023 02:02:33 PM", datetime(2023, 12, 16, 14, 2, 33, tzinfo=UTC)),
        ("Sat, 16 Dec 2023 12:05:00 PM", datetime(2023, 12, 16, 12, 5, tzinfo=UTC)),
        ("Sat, 16 Dec 2023 12:05:00 AM", datetime(2023, 12, 16, 0, 5, tzinfo=UTC)),
        ("Sat, 16 Dec 2023 09:15:00 am EST", datetime(2023, 12, 16, 14, 15, tzinfo=UTC)),
    ],
)
def test_an_rss_date_on_a_12_hour_clock(raw: str, expected: datetime) -> None:
    """A real feed (a US TV station's) writes "Sat, Dec 16 2023 02:02:33 PM": the "PM" was taken
    for an unknown zone, and an afternoon story dated twelve hours early."""
    assert parse_date(raw) == expected


def test_a_korean_feed_writing_its_offset_with_a_colon_alerts_its_own_time() -> None:
    """feedparser reads "+09:00" right, but the entry's own text wins (it keeps the zone): read
    as UTC, the alert said 19:00 for a story out at 10:00 Seoul time, and the story looked nine
    hours younger to `alerts.max_age_hours`."""
    feed = (
        '<rss version="2.0"><channel><title>f</title><item><title>t</title>'
        "<link>http://a.example/1</link><pubDate>Mon, 03 Mar 2025 10:00:00 +09:00</pubDate>"
        "</item></channel></rss>"
    )
    (entry,) = parse_feed(feed.encode(), "http://a.example/feed").entries
    assert entry.published == datetime(2025, 3, 3, 1, tzinfo=UTC)
    assert when(entry.published, ZoneInfo("Asia/Seoul")) == "2025-03-03 10:00 KST"


def test_an_rfc_3339_date_with_a_lower_case_z_keeps_its_date() -> None:
    """RFC 3339 allows "z"; fromisoformat does not. A JSON Feed item dated so had no date, so it
    took the time it was first seen: a week-old item alerted as new when the feed was added."""
    feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "f", "items": [{"id": "1",'
        ' "url": "http://a.example/1", "title": "t", "date_published": "2025-03-01t10:00:00z"}]}'
    )
    (entry,) = parse_feed(feed.encode(), "http://a.example/feed.json").entries
    assert entry.published == datetime(2025, 3, 1, 10, tzinfo=UTC)


SEOUL = ZoneInfo("Asia/Seoul")


@pytest.mark.parametrize(
    "raw",
    [
        "2025-02-20 10:00:00",  # a pubDate in local time, as some feeds write it
        "2025-02-20T10:00:00",
        "Thu, 20 Feb 2025 10:00:00",  # RFC 2822 without any zone
    ],
)
def test_a_date_written_without_a_zone_is_in_the_feeds_zone(raw: str) -> None:
    """Read as UTC, a Seoul newsroom's 10:00 story was dated 19:00 Seoul time: every alert of
    such a feed would say a time nine hours ahead. The feed's `timezone` says where the clock
    is."""
    assert parse_date(raw, SEOUL) == datetime(2025, 2, 20, 1, tzinfo=UTC)
    assert parse_date(raw) == datetime(2025, 2, 20, 10, tzinfo=UTC)  # no zone given: UTC


@pytest.mark.parametrize(
    "raw",
    [
        "Thu, 20 Feb 2025 10:00:00 +0000",
        "Thu, 20 Feb 2025 10:00:00 GMT",
        "2025-02-20T10:00:00Z",
        "2025-02-20T10:00:00+00:00",
        "Thu, 20 Feb 2025 10:00:00 -0000",  # RFC 2822's "unknown zone": UTC, as before
    ],
)
def test_a_zone_the_date_writes_wins_over_the_feeds(raw: str) -> None:
    assert parse_date(raw, SEOUL) == datetime(2025, 2, 20, 10, tzinfo=UTC)


def test_a_feed_whose_dates_have_no_zone_is_read_in_its_configured_zone() -> None:
    """RSS and JSON Feed alike: the zone reaches every entry's date."""
    rss = (
        '<rss version="2.0"><channel><title>f</title><item><title>t</title>'
        "<link>http://a.example/1</link><pubDate>2025-02-20 10:00:00</pubDate>"
        "</item></channel></rss>"
    )
    json_feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "f", "items": [{"id": "1",'
        ' "url": "http://a.example/1", "title": "t", "date_published": "2025-02-20T10:00:00"}]}'
    )
    for data, url in ((rss, "http://a.example/feed"), (json_feed, "http://a.example/f.json")):
        (entry,) = parse_feed(data.encode(), url, zone="Asia/Seoul").entries
        assert entry.published == datetime(2025, 2, 20, 1, tzinfo=UTC), url
        assert when(entry.published, SEOUL) == "2025-02-20 10:00 KST"
        (utc,) = parse_feed(data.encode(), url).entries
        assert utc.published == datetime(2025, 2, 20, 10, tzinfo=UTC), url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025/09/03 10:00:00", datetime(2025, 9, 3, 1, tzinfo=UTC)),
        ("2025.09.03 10:00", datetime(2025, 9, 3, 1, tzinfo=UTC)),
        ("2025.9.3.", datetime(2025, 9, 2, 15, tzinfo=UTC)),  # a day alone: midnight there
    ],
)
def test_a_date_written_with_slashes_or_dots(raw: str, expected: datetime) -> None:
    """Korean and Japanese sites write dates so; neither email.utils nor fromisoformat read
    them, and feedparser, the fallback, read "2025/09/03" as 1 November."""
    assert parse_date(raw, SEOUL) == expected
    assert parse_date("2025/13/03 10:00") is None and parse_date("2025/09/03 junk") is None


def test_a_json_feed_item_with_an_unreadable_published_date_keeps_its_modified_one() -> None:
    """`date_published` written but unreadable hid a readable `date_modified`: the item took
    the time it was first seen."""
    feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "f", "items": [{"id": "1",'
        ' "url": "http://a.example/1", "title": "t", "date_published": "last Tuesday",'
        ' "date_modified": "2025-03-01T10:00:00Z"}]}'
    )
    (entry,) = parse_feed(feed.encode(), "http://a.example/feed.json").entries
    assert entry.published == datetime(2025, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "Mon, 01 Jan 0001 00:00:00 +0000",  # Go's zero time, as Hugo's RSS writes an undated post
        "Mon, 01 Jan 0001 00:00:00 GMT",  # .NET's DateTime.MinValue
        "01 Jan 0001 00:00:00 +0000",
        "Sat, 01 Jan 0000 00:00:00 +0000",
    ],
)
def test_the_zero_time_written_in_rfc_2822_is_no_date(raw: str) -> None:
    """email.utils reads a year below 100 as two digits even when four are written: this was
    1 January 2001, and the story "older than 72 h when first seen"."""
    assert parse_date(raw) is None


def test_a_year_written_in_four_digits_is_that_year_and_two_digits_stay_two() -> None:
    assert parse_date("Tue, 05 Mar 0099 10:00:00 +0000") == datetime(99, 3, 5, 10, tzinfo=UTC)
    assert parse_date("Tue, 05 Mar 99 10:00:00 +0000") == datetime(1999, 3, 5, 10, tzinfo=UTC)
    assert parse_date("Wed, 05 Mar 25 10:00:00 +0000") == datetime(2025, 3, 5, 10, tzinfo=UTC)
    assert parse_date("Wed, 05 Mar 2025 10:00:00 +0000") == datetime(2025, 3, 5, 10, tzinfo=UTC)


def test_a_date_more_than_a_little_ahead_of_now_is_not_believed() -> None:
    """A year typo, a local clock written as UTC, a scheduled post: more than `AHEAD_SLACK`
    ahead of now is no date (the story is dated by its page, else when first seen); a
    publisher's clock a few minutes fast still is."""
    now = datetime(2025, 3, 4, 6, 0, tzinfo=UTC)
    assert believable(now + timedelta(minutes=5), now) == now + timedelta(minutes=5)
    assert believable(now - timedelta(days=400), now) == now - timedelta(days=400)
    assert believable(now + timedelta(hours=9), now) is None
    assert believable(now.replace(year=2205), now) is None
    assert believable(None, now) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-03-04 15:05 KST", datetime(2025, 3, 4, 15, 5, tzinfo=KST)),
        ("2025.03.04 15:05 KST", datetime(2025, 3, 4, 15, 5, tzinfo=KST)),
        ("2025-03-04T15:05:00 KST", datetime(2025, 3, 4, 15, 5, tzinfo=KST)),
        ("2025/03/04 15:05:00 JST", datetime(2025, 3, 4, 15, 5, tzinfo=KST)),
        ("2025-03-04 10:05 EST", datetime(2025, 3, 4, 15, 5, tzinfo=UTC)),
        ("2025-03-04 15:05:00 GMT", datetime(2025, 3, 4, 15, 5, tzinfo=UTC)),
        ("2025-03-04 15:05 XYZ", datetime(2025, 3, 4, 15, 5, tzinfo=UTC)),  # unknown: UTC
    ],
)
def test_an_iso_or_dotted_date_with_a_zone_s_name_is_read_in_that_zone(
    raw: str, expected: datetime | None
) -> None:
    """An ISO, slashed or dotted date followed by a zone's name, as Korean and Japanese CMSs
    write: unread here, feedparser's fallback took "2025.03.04 15:05 KST" for 1 December of
    the current year, "2025-03-04 15:05 KST" for midnight UTC, and "2025-03-04T15:05:00 KST"
    for 15:05 UTC (nine hours late)."""
    feed = (
        '<rss version="2.0"><channel><title>f</title><item><title>t</title>'
        f"<link>http://a.example/1</link><pubDate>{raw}</pubDate></item></channel></rss>"
    )
    (entry,) = parse_feed(feed.encode(), "http://a.example/feed").entries
    assert entry.published == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 04 Mar 2025 24:00:00 +0900", datetime(2025, 3, 5, tzinfo=KST)),
        ("Tue, 04 Mar 2025 24:00 +0900", datetime(2025, 3, 5, tzinfo=KST)),
        ("Sat, 31 Dec 2016 23:59:60 +0000", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("Tue, 04 Mar 2025 24:30:00 +0000", None),  # no such time
    ],
)
def test_an_rfc_2822_date_at_24_00_or_a_leap_second_keeps_its_date(
    raw: str, expected: datetime | None
) -> None:
    """ISO 8601's end of day (24:00) and a leap second (:60), written in RFC 2822: email.utils
    raised, feedparser read neither, and the entry took the time first seen, so a back
    catalogue's old story was announced as new. Read as the next midnight and second :59."""
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Mon, 01 Jan 1900 00:00:00 GMT",
        "1900-01-01",
        "1900-01-01T00:00:00+09:00",
        "1899-12-30T00:00:00Z",
        "1899-12-31 00:00:00",
        "1753-01-01T00:00:00",
        "1601-01-01T00:00:00Z",
        "1970-01-01T09:00:00+09:00",
    ],
)
def test_a_zero_days_placeholder_is_no_date(raw: str) -> None:
    """A system writing its zero day where it has no date: believed, a new story was a century
    old and never announced."""
    assert parse_date(raw) is not None
    assert real_date(parse_date(raw)) is None


def test_a_date_days_from_a_placeholder_stands() -> None:
    assert real_date(parse_date("1900-01-03T00:00:00Z")) is not None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025년 3월 4일 오후 3시 5분", datetime(2025, 3, 4, 15, 5)),
        ("2025년 3월 4일 오전 12시", datetime(2025, 3, 4, 0, 0)),
        ("2025.03.04 오후 3시 5분 7초", datetime(2025, 3, 4, 15, 5, 7)),
        ("2025년 03월 04일 15시 05분", datetime(2025, 3, 4, 15, 5)),
    ],
)
def test_a_korean_clock_in_words_is_read_in_seoul(raw: str, expected: datetime) -> None:
    """Korean "오후 3시 5분" (3 h 5 min p.m.) was no date: the story took the time first seen."""
    assert parse_date(raw) == expected.replace(tzinfo=ZoneInfo("Asia/Seoul"))


def test_javascripts_date_text_keeps_its_offset() -> None:
    """JavaScript's Date.toString(): the bracketed name hid the offset, and the time was UTC."""
    raw = "Tue Mar 04 2025 15:05:00 GMT+0900 (Korean Standard Time)"
    assert parse_date(raw) == datetime(2025, 3, 4, 6, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "2025/03/04 15:05 +0900",
        "2025/03/04 15:05:00+09:00",
        "2025.03.04 15:05:00.000 +0900",
        "2025/03/04T06:05:00Z",
        "2025-03-04T15:05:00+09:00[Asia/Seoul]",
        "2025-03-04T15:05+09:00[!Asia/Seoul][u-ca=gregory]",
        "2025-03-04T06:05:00Z[UTC]",
        "2025-03-04T15:05:00[Asia/Seoul]",
        "2025-03-04 15:05:00.000000+0900",
        "Tue, 4 Mar 2025 15:05:00 KST",
        "4 Mar 2025 15:05 +09:00",
    ],
)
def test_a_slashed_date_with_an_offset_or_an_iso_date_with_its_zone_in_brackets(raw: str) -> None:
    """A slashed or dotted date with its offset, and RFC 9557's (Java's ZonedDateTime's) zone in
    brackets after an ISO date, were no date: the story took the time first seen, and a back
    catalogue's item was announced as new; read in an RSS feed, feedparser took them for
    another time."""
    expected = datetime(2025, 3, 4, 6, 5, tzinfo=UTC)
    assert parse_date(raw) == expected
    rss = (
        "<rss version='2.0'><channel><title>t</title><item><title>a</title>"
        f"<link>http://a.example/1</link><pubDate>{raw}</pubDate></item></channel></rss>"
    )
    (entry,) = parse_feed(rss.encode(), "http://a.example/feed").entries
    assert entry.published == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2025-03-04T15:05:00+09:00[Nowhere/Land]",
        "2025-03-04T15:05:00[Nowhere/Land]",
        "2025/03/04 15:05 +2500",
    ],
)
def test_a_bracketed_zone_or_offset_not_known_is_no_guess(raw: str) -> None:
    """An offset written stands whatever the bracket says; without one, an unknown zone's name
    or an impossible offset is no date rather than a guessed one."""
    value = parse_date(raw)
    if "+09:00" in raw:
        assert value == datetime(2025, 3, 4, 6, 5, tzinfo=UTC)
    else:
        assert value is None
