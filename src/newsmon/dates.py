"""The one reader of dates written by others: feeds, pages' metadata and HTTP headers.

Two notations cover them: RFC 822/2822 (RSS `pubDate`, HTTP `Expires` and `Retry-After`) and
ISO 8601 (Atom, JSON Feed, JSON-LD, trafilatura). The writer's time zone is kept; a time
without one is taken as UTC (HTTP dates are UTC by definition, and a feed that omits the zone
gives nothing better to go on).

A date is kept only when every time zone can show it: at least a day from either end of what a
datetime holds (years 1 and 9999), since showing it in a zone moves it by up to a day. A feed
dated "9999-12-31T23:00:00Z" otherwise stops the alert that shows it in Seoul, and one at
-10:00 cannot even be stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def showable(value: datetime) -> datetime | None:
    """`value` (aware) if every time zone can show it, else None."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return None
    return value if _EARLIEST <= utc <= _LATEST else None


def parse_date(raw: object) -> datetime | None:
    """An aware datetime from RFC 2822 or ISO 8601 text; None for anything else."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    value: datetime | None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if value is None:
        return None
    return showable(value if value.tzinfo else value.replace(tzinfo=UTC))
