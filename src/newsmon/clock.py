"""The clock: one definition of "now" (aware, UTC) for everything the corpus stores or compares."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as an aware UTC datetime: naive times are never stored or compared."""
    return datetime.now(UTC)
