"""One date reader for feeds, pages and HTTP headers."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from newsmon.dates import parse_date

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
