"""Which entries of a feed longer than `fetch.max_entries_per_feed` are read.

RSS and JSON Feed fix no order. Most feeds list their newest entry first, but an archive feed,
a mailing list's or some CMSes' append new entries at the end: keeping the first entries of
such a feed kept its oldest ones, pass after pass, and every new story was silently missed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")


def newest_entries(
    items: Sequence[T],
    limit: int | None,
    date_of: Callable[[T], datetime | None],
    listed: int | None = None,
) -> tuple[Sequence[T], str | None]:
    """At most `limit` of `items`, the newest, and a note when that is not the first ones
    (`listed`: how many entries the feed lists, when `items` are its first and last only).

    Only the first and last entries are dated (two dates however long the feed): when the
    last is the newer, the feed lists oldest first and its last `limit` entries are read,
    newest first as a feed usually lists them. Otherwise, or when either is undated, the first
    `limit`, as listed."""
    if limit is None or len(items) <= limit:
        return items, None
    first, last = _date(date_of, items[0]), _date(date_of, items[-1])
    if first is None or last is None or last <= first:
        return items[:limit], None
    newest = list(reversed(items[-limit:]))
    return newest, f"entries listed oldest first: the newest {limit} of {listed or len(items)} read"


def _date(date_of: Callable[[T], datetime | None], item: T) -> datetime | None:
    """The item's date, or None for one that cannot be compared (a naive one)."""
    when = date_of(item)
    return when if when is not None and when.tzinfo is not None else None
