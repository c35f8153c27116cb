"""The one reader of dates written by others: feeds, pages' metadata and HTTP headers.

Two notations cover them: RFC 822/2822 (RSS `pubDate`, HTTP `Expires` and `Retry-After`) and
ISO 8601 (Atom, JSON Feed, JSON-LD, trafilatura). The writer's time zone is kept; a time
without one is taken as UTC (HTTP dates are UTC by definition, and a feed that omits the zone
gives nothing better to go on).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


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
    return value if value.tzinfo else value.replace(tzinfo=UTC)
