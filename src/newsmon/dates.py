"""The one reader of dates written by others: feeds, pages' metadata and HTTP headers.

Two notations cover them: RFC 822/2822 (RSS `pubDate`, HTTP `Expires` and `Retry-After`) and
ISO 8601 (Atom, JSON Feed, JSON-LD, trafilatura). The writer's time zone is kept; a time
without one is taken as UTC (HTTP dates are UTC by definition, and a feed that omits the zone
gives nothing better to go on).

A date is kept only when every time zone can show it: at least a day from either end of what a
datetime holds (years 1 and 9999), since showing it in a zone moves it by up to a day. A feed
dated "9999-12-31T23:00:00Z" otherwise stops the alert that shows it in Seoul, and one at
-10:00 cannot even be stored in UTC.

email.utils reads an RFC 2822 zone only as "+0900" or a US zone's name; feeds also write "+09:00",
"GMT+9", "GMT +9" or "KST", which it leaves naive or reads as GMT. Those are read here, so a Korean
story is not dated nine hours late; a name still unknown stays UTC, as before. A 12-hour clock
("02:02:33 PM", as one US station's feed writes) is read as such, not "PM" taken for an unknown
zone. Korean notation ("2025년 2월 19일 오후 3:04", "2025-02-19 오후 3:04:00",
"2025년 2월 19일 오후 3시 4분") is read in the feed's zone, else Seoul's (only Korean sites
write it); a Korean feed's other dates without a zone are Seoul's too (`FeedConfig.date_zone`).
A slashed or dotted date may carry an offset ("2025/03/04 15:05 +0900"), and an ISO date RFC
9557's zone in brackets ("2025-03-04T15:05:00+09:00[Asia/Seoul]": the offset stands, else the
zone named). A bare Unix time, as some CMSs and JSON-to-RSS bridges write, is read as UTC: 10
digits of seconds or 13 of milliseconds (2001 to 2286), unless it counts to more than a day
ahead of now: a news date never lies there, and "2026113015" (YYYYMMDDHH, as some Korean CMSs
and URL-derived dates write) would be 2034. A number of 10, 12 or 14 digits that is no Unix time
of now is the calendar time it spells (YYYYMMDDHH[MM[SS]], years 1900 to 2099) in the feed's
zone; any other bare number but an ISO year or day ("20251130") is no date. (From 2033 on, a
number both a past Unix time and a YYYYMMDDHH of 1990 or later is read as the Unix time.)
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsmon.clock import utcnow

_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)

# An offset email.utils does not read: "+09:00", "GMT+0900", "UTC+9" (and "-0000": unknown, UTC).
_OFFSET = re.compile(r"\s(?:(?:GMT|UTC|UT)\s*)?([+-])([0-9]{1,2})(?::?([0-9]{2}))?\s*$", re.I)
# "GMT +9": email.utils takes the name for the zone and drops the offset after the space
_SPACED_OFFSET = re.compile(r"\s(GMT|UTC|UT)\s+(?=[+-][0-9]{1,2}(?::?[0-9]{2})?\s*$)", re.I)
# The year after the month's name, as written: email.utils reads a year below 100 as two digits
# however many are written, so Go's and .NET's zero time ("Mon, 01 Jan 0001 00:00:00 +0000",
# Hugo's RSS for an undated post) was 1 January 2001, its story "older than 72 h" and unalerted.
_WRITTEN_YEAR = re.compile(r"[A-Za-z]\.?,?\s+(\d{3,})\b")
_END_OF_DAY = re.compile(r"\s24:00(?::00)?(?=\s|$)")
_LEAP_SECOND = re.compile(r"(\s[0-9]{1,2}:[0-9]{2}):60(?=\s|$)")
# A zone's name in brackets after the offset, as JavaScript's Date.toString() writes ("Tue Mar 04
# 2025 15:05:00 GMT+0900 (Korean Standard Time)"): it hid the offset, and the time was UTC.
_NAME_AFTER_OFFSET = re.compile(r"(?<=[0-9])\s*\([^()]*\)\s*$")
_SEPT = re.compile(r"\bSept\b", re.I)  # "26 Sept 2005", as feedparser's own samples write
_MERIDIEM = re.compile(r"\s(AM|PM)(?=\s|$)", re.I)
# A date written with slashes or dots, as Korean and Japanese sites do ("2025/09/03 10:00:00",
# "2025.09.03 10:00"), which neither email.utils nor fromisoformat reads; feedparser reads the
# slashed one as another day (2025/09/03 -> 1 November), so it is read here first.
# An offset may follow the time ("2025/03/04 15:05 +0900", "2025.03.04 15:05:00.000+09:00"):
# unread, the date was none and the story took the time first seen.
_SLASHED = re.compile(
    r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})\.?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(?:\s*(Z|[+-]\d{2}:?\d{2}))?)?",
    re.I,
)
# RFC 9557's zone and tags in brackets after an ISO date, as Java's ZonedDateTime writes
# ("2025-03-04T15:05:00+09:00[Asia/Seoul]"): unread, the date was none. The offset written
# stands (RFC 9557 makes it the instant's); without one, the bracketed zone is the clock's.
_BRACKETED = re.compile(r"(.+?)((?:\[[^\[\]]*\])+)")
# A date as Korean sites write it: "2025년 2월 19일 오후 3:04", "2025년 02월 19일 15:04:05",
# "2025-02-19 오후 3:04:00", "2025.02.19 오후 3:04" (a weekday "(수)" may follow the day).
# Unread, feedparser's fallback took the first for 1 November of its year and the third for
# midnight UTC. Only Korean sites write so: without a feed's `timezone`, the clock is Seoul's.
_KOREAN = re.compile(
    r"(\d{4})(?:\s*년\s*|[-/.])(\d{1,2})(?:\s*월\s*|[-/.])(\d{1,2})(\s*일)?\.?"
    r"(?:\s*\([월화수목금토일]\))?(?:\s*(오전|오후))?"
    r"(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)
_SEOUL = timezone(timedelta(hours=9), "KST")
# The hour in Korean words, "3시 5분 [6초]", as "3:05:06": unread, the date was none.
_KOREAN_CLOCK = re.compile(r"(\d{1,2})\s*시(?:\s*(\d{1,2})\s*분)?(?:\s*(\d{1,2})\s*초)?$")
# A date written as a number alone; feedparser's fallback dates any such 1 November 1764 (or, with
# a sign, some day of 2026): a new story was centuries old to `alerts.max_age_hours`.
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?")
_UNIX_TIME = re.compile(r"(?:([0-9]{10})|([0-9]{13}))(?:\.([0-9]{0,9}))?")
_UNIX_AHEAD = timedelta(days=1)  # a Unix time further ahead of now is no news date
# YYYYMMDDHH, YYYYMMDDHHMM, YYYYMMDDHHMMSS: a year of 1900 to 2099, then two digits a part
_COMPACT = re.compile(
    r"((?:19|20)[0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})(?:([0-9]{2})([0-9]{2})?)?"
)
# A zone's name ending the date, or before its year as Java's Date.toString() writes
# ("Wed Feb 19 15:04:00 KST 2025", printed by many Korean sites' feeds).
_NAME = re.compile(r"\s([A-Z]{2,5})(?:\s+[0-9]{4})?\s*$", re.I)
# Unambiguous names of zones news is written in, besides email.utils' own (UT, GMT, Z and the US
# zones). IST and BST are left out: each names zones hours apart.
_ZONE_NAMES = {
    "KST": 9,
    "JST": 9,
    "HKT": 8,
    "SGT": 8,
    "AWST": 8,
    "ACST": 9.5,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "MSK": 3,
    "EET": 2,
    "EEST": 3,
    "CET": 1,
    "CEST": 2,
    "WET": 0,
    "WEST": 1,
}
# email.utils' own names, for dates it does not read (an ISO date and a name: `_named`)
_US_ZONE_NAMES = {"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6}
_US_ZONE_NAMES |= {"PST": -8, "PDT": -7}
# An ISO, slashed or dotted date and time, then a zone's name: "2025-03-04 15:05 KST"
_NAMED = re.compile(r"([0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}[ T]+[0-9][0-9:.]*)\s+([A-Za-z]{2,5})")


def showable(value: datetime) -> datetime | None:
    """`value` (aware) if every time zone can show it, else None."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return None
    return value if _EARLIEST <= utc <= _LATEST else None


def parse_date(raw: object, zone: tzinfo | None = None) -> datetime | None:
    """An aware datetime from RFC 2822 or ISO 8601 text; None for anything else. A date written
    without a zone is in `zone` (a feed's `timezone`: a feed may write "2025-02-20 10:00:00"
    meaning Seoul), else UTC."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    unwritten = zone or UTC
    if _a_count(text):
        return _unix_time(text) or _compact(text, unwritten)
    value: datetime | None
    try:
        value = _rfc2822(text, unwritten)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            value = datetime.fromisoformat(re.sub("[Zz]$", "+00:00", text))  # RFC 3339 allows "z"
        except ValueError:
            value = _slashed(text) or _bracketed(text) or _named(text, unwritten)
            if value is None:
                value = _korean(text, zone or _SEOUL)
    if value is None:
        return None
    return showable(value if value.tzinfo else value.replace(tzinfo=unwritten))


def _a_count(text: str) -> bool:
    """Whether `text` is a number alone that is no ISO year or day ("2025", "20251130")."""
    return bool(_NUMBER.fullmatch(text)) and not (text.isdigit() and len(text) in (4, 8))


def _unix_time(text: str) -> datetime | None:
    """The UTC time a bare Unix time in seconds (10 digits) or milliseconds (13) counts to;
    None for any other number (9 digits of seconds are 1973 to 2001: no news of ours)."""
    found = _UNIX_TIME.fullmatch(text)
    if found is None:
        return None
    seconds, millis, fraction = found.groups()
    whole = int(seconds) if seconds else int(millis) // 1000
    rest = int(millis) % 1000 / 1000 if millis else 0.0
    rest += float(f"0.{fraction}") if fraction else 0.0
    value = datetime.fromtimestamp(whole, UTC) + timedelta(seconds=rest)
    return value if value <= utcnow() + _UNIX_AHEAD else None


def _compact(text: str, zone: tzinfo) -> datetime | None:
    """The time in `zone` a number spells as YYYYMMDDHH[MM[SS]]; None when it spells none."""
    found = _COMPACT.fullmatch(text)
    if found is None:
        return None
    year, month, day, hour, minute, second = (int(part or 0) for part in found.groups())
    try:
        return showable(datetime(year, month, day, hour, minute, second, tzinfo=zone))
    except ValueError:
        return None


def _slashed(text: str) -> datetime | None:
    """A datetime from "2025/09/03 10:00[:00[.000]] [+0900]" or "2025.09.03", naive unless an
    offset is written; None otherwise."""
    found = _SLASHED.fullmatch(text)
    if found is None:
        return None
    *parts, offset = found.groups()
    year, month, day, hour, minute, second = (int(part or 0) for part in parts)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=_offset(offset))
    except (ValueError, OverflowError):
        return None


def _offset(written: str | None) -> timezone | None:
    """The zone an ISO offset ("Z", "+0900", "-05:30") names; None for none written.
    ValueError for one of a day or more."""
    if written is None:
        return None
    if written.upper() == "Z":
        return UTC
    sign, hours, minutes = written[0], int(written[1:3]), int(written[-2:])
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)


def _bracketed(text: str) -> datetime | None:
    """An ISO date followed by RFC 9557's bracketed zone and tags (`_BRACKETED`): at its offset,
    else in the zone named first (critical "!" ignored); None for an unknown name."""
    found = _BRACKETED.fullmatch(text)
    if found is None:
        return None
    try:
        value = datetime.fromisoformat(re.sub("[Zz]$", "+00:00", found.group(1)))
    except ValueError:
        return None
    if value.tzinfo is not None:
        return value
    tags = re.findall(r"\[!?([^\[\]]*)\]", found.group(2))
    names = [tag for tag in tags if "=" not in tag]
    if not names:
        return None
    try:
        return value.replace(tzinfo=ZoneInfo(names[0]))
    except (ValueError, ZoneInfoNotFoundError):
        return None


def _named(text: str, unwritten: tzinfo) -> datetime | None:
    """An ISO, slashed or dotted date ending in a zone's name ("2025-03-04 15:05 KST",
    "2025.03.04 15:05 KST"), read in that zone (the feed's own, when it goes by that name that
    day; UTC for a name not known here); None otherwise. Unread, feedparser took the first for
    midnight UTC and the second for 1 December of the current year."""
    found = _NAMED.fullmatch(text)
    if found is None:
        return None
    written, name = found.group(1), found.group(2).upper()
    value: datetime | None
    try:
        value = datetime.fromisoformat(written)
    except ValueError:
        value = _slashed(written)
    if value is None or value.tzinfo is not None:
        return None
    local = value.replace(tzinfo=unwritten)
    if local.tzname() == name:
        return local
    hours_east = _ZONE_NAMES.get(name, _US_ZONE_NAMES.get(name, 0))
    return value.replace(tzinfo=timezone(timedelta(hours=hours_east)))


def _korean(text: str, zone: tzinfo) -> datetime | None:
    """A datetime in `zone` from a date in Korean notation (`_KOREAN`): it carries 년/월/일 or
    오전/오후; None otherwise."""
    clock = _KOREAN_CLOCK.search(text)
    if clock is not None:
        h, m, sec = (int(part or 0) for part in clock.groups())
        text = f"{text[: clock.start()]}{h}:{m:02d}:{sec:02d}"
    found = _KOREAN.fullmatch(text)
    if found is None:
        return None
    year, month, day, marked_day, meridiem, hour, minute, second = found.groups()
    if not (marked_day or "년" in text or meridiem) or (meridiem and hour is None):
        return None
    hours = int(hour or 0)
    if meridiem:  # a 12-hour clock: 오전 12:05 is 00:05, 오후 12:05 is 12:05
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem == "오후" else 0)
    try:
        return datetime(
            int(year), int(month), int(day), hours, int(minute or 0), int(second or 0), tzinfo=zone
        )
    except (ValueError, OverflowError):
        return None


def _rfc2822(text: str, unwritten: tzinfo) -> datetime:
    """`text` read by email.utils, with the zones and 12-hour clock it does not read; a date
    without any zone is in `unwritten`."""
    text = _NAME_AFTER_OFFSET.sub("", text)
    text = _SEPT.sub("Sep", _SPACED_OFFSET.sub(r" \1", text))
    meridiem = _MERIDIEM.search(text)
    if meridiem is not None:
        text = text[: meridiem.start()] + text[meridiem.end() :]
    text, next_day = _end_of_day(text)
    value = parsedate_to_datetime(text) + next_day
    year_text = _WRITTEN_YEAR.search(text)
    year = int(year_text.group(1)) if year_text is not None else value.year
    if year < 100 and year != value.year:
        if year == 0:
            raise ValueError("year 0 is no date")
        value = value.replace(year=year)  # then too early to show, in year 1: no date
    if value.tzinfo is None:
        written = _written_zone(text)
        value = value.replace(tzinfo=unwritten if written is None else written)
    if meridiem is not None and 1 <= value.hour <= 12:
        afternoon = meridiem.group(1).upper() == "PM"
        value = value.replace(hour=value.hour % 12 + (12 if afternoon else 0))
    # A name the feed's own zone goes by that day is that zone: "CST" is US Central to
    # email.utils, but China Standard Time in a feed whose `timezone` is Asia/Shanghai.
    name = _NAME.search(text)
    local = value.replace(tzinfo=unwritten)
    if name is not None and local.tzname() == name.group(1).upper():
        value = local
    return value


def _end_of_day(text: str) -> tuple[str, timedelta]:
    """`text` with ISO 8601's end of day ("24:00[:00]") as midnight, to be moved a day on (the
    day returned), and a leap second (":60") as second 59: email.utils reads neither."""
    end = _END_OF_DAY.search(text)
    if end is not None:
        return text[: end.start()] + " 00:00:00" + text[end.end() :], timedelta(days=1)
    return _LEAP_SECOND.sub(r"\1:59", text), timedelta()


def _written_zone(text: str) -> timezone | None:
    """The zone ending an RFC 2822 date that email.utils left naive: None when none is written,
    UTC for a name not known here (as email.utils reads one).
    ValueError for an offset of a day or more, as email.utils raises for "+2400"."""
    offset = _OFFSET.search(text)
    if offset is not None:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-delta if sign == "-" else delta)
    name = _NAME.search(text)
    if name is None:
        return None
    hours_east = _ZONE_NAMES.get(name.group(1).upper())
    return UTC if hours_east is None else timezone(timedelta(hours=hours_east))


# The zero days of the systems that write a date where they have none: Unix time 0 (1970),
# "1900-01-01" (a CMS's empty date field, SQL's smalldatetime), OLE Automation's and Excel's day
# zero (30 and 31 December 1899), SQL Server's earliest datetime (1753) and Windows' (1601), each
# at midnight in the writer's zone or none. No news is dated so: believed, the new story was
# decades old to `alerts.max_age_hours` and its alert skipped; undated, it takes its page's date
# or first-seen. (Go's and .NET's year 1 is no showable date already.)
_PLACEHOLDERS = tuple(
    datetime(*day, tzinfo=UTC)
    for day in (
        (1970, 1, 1),
        (1900, 1, 1),
        (1899, 12, 30),
        (1899, 12, 31),
        (1753, 1, 1),
        (1601, 1, 1),
    )
)


def real_date(value: datetime | None) -> datetime | None:
    """`value`, unless it is a zero day's placeholder (within a day: any zone's midnight)."""
    if value is None or any(abs(value - day) <= timedelta(days=1) for day in _PLACEHOLDERS):
        return None
    return value


# A story's date further ahead of the time it is first seen is not believed: a year typo
# ("2205"), a CMS writing its local clock as UTC (Seoul's: nine hours ahead) or a post listed
# before its scheduled time. Believed, the alert showed that date, and the story could never
# grow too old for `alerts.max_age_hours`. A few minutes allow for the publisher's clock.
AHEAD_SLACK = timedelta(minutes=15)


def believable(value: datetime | None, now: datetime) -> datetime | None:
    """`value`, unless it lies more than `AHEAD_SLACK` ahead of `now`."""
    if value is None or value > now + AHEAD_SLACK:
        return None
    return value


def entry_date(entry: Any, zone: tzinfo | None = None) -> datetime | None:
    """A feedparser entry's date (never the epoch placeholder): its own date text first (it
    keeps the feed's time zone, or `zone` where it writes none; feedparser's *_parsed fields
    are UTC only), then what feedparser made of dates in notations it knows more of."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if raw:
            parsed = real_date(parse_date(str(raw), zone))
            if parsed:
                return parsed
    for key in ("published", "updated"):
        st = entry.get(f"{key}_parsed")
        # feedparser's reading of a bare number is no date (parse_date read it, if anything)
        if st and not _a_count(str(entry.get(key) or "").strip()):
            try:
                parsed = showable(datetime.fromtimestamp(calendar.timegm(st), tz=UTC))
            except (OverflowError, ValueError):
                continue
            if real_date(parsed):
                return parsed
    return None
