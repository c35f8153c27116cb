"""The clock: one definition of "now" (aware, UTC) for everything the corpus stores or compares."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def utcnow() -> datetime:
    """Now, as an aware UTC datetime: naive times are never stored or compared."""
    return datetime.now(UTC)


def ahead_of(headers: Mapping[str, str], received: datetime) -> float | None:
    """Seconds this host's clock (`received`, when the answer came) is ahead of the server's,
    by its `Date` header plus `Age` (a cache's copy was made that long ago); None without a
    readable date. A clock days off holds every story back as too old, unseen."""
    raw = headers.get("date")
    if not raw:
        return None
    try:
        stated = parsedate_to_datetime(raw[:100])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if stated.tzinfo is None:  # "-0000": UTC without a stated zone
        stated = stated.replace(tzinfo=UTC)
    age = headers.get("age", "").strip()
    cached = int(age) if age.isdigit() and len(age) < 10 else 0
    return (received - stated).total_seconds() - cached
