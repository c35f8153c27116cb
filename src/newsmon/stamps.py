"""A feed that dates every entry with the time it is rendered: many CMSs and feed generators
write `pubDate` when they serve (or cache) the feed, not when the story came out. Believed, a
new feed's whole back catalogue looked minutes old on its first pass and was announced.

Such a date is no date. It is told by most of a feed's entries sharing one instant (within
`STAMP_SPAN`), at least `MIN_STAMPED` of them, no older than a cached rendering (`STAMP_AGE`):
stories really published minutes apart, or a burst of flashes among a feed's usual spread,
are not. A stamped entry is dated by its page; on the feed's first read, one its page does not
date either is of unknown age (held back as the back catalogue is, `FeedEntry.age_unknown`);
on a later read it is new to the feed, and as new as first seen. So is an entry the feed writes
no date for at all (`undated_held`): on the first read it was announced as new, though a new
feed's undated entries are its back catalogue as much as stamped ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from newsmon.dates import AHEAD_SLACK
from newsmon.feeds import FeedEntry

STAMP_SPAN = timedelta(minutes=2)  # one rendering's dates, however long it took
STAMP_AGE = timedelta(hours=1)  # a rendering a cache may still serve
MIN_STAMPED = 3


def stamp_window(
    dates: Iterable[datetime | None], now: datetime
) -> tuple[datetime, datetime] | None:
    """The span of the instant most dated entries share near `now`, if they do; else None."""
    dated = [d for d in dates if d is not None]
    recent = sorted(d for d in dated if now - STAMP_AGE <= d <= now + AHEAD_SLACK)
    best, start = 0, 0
    low = 0
    for high, value in enumerate(recent):
        while value - recent[low] > STAMP_SPAN:
            low += 1
        if high - low + 1 > best:
            best, start = high - low + 1, low
    if best < MIN_STAMPED or 2 * best < len(dated):
        return None
    return recent[start], recent[start + best - 1]


def unstamped(
    entries: Mapping[str, FeedEntry], now: datetime, *, first_read: bool
) -> dict[str, FeedEntry] | None:
    """`entries` with a stamped date dropped (and, on the feed's `first_read`, marked of
    unknown age); None when the feed stamps none."""
    window = stamp_window((e.published for e in entries.values()), now)
    if window is None:
        return None
    low, high = window
    return {
        key: replace(entry, published=None, age_unknown=first_read)
        if entry.published is not None and low <= entry.published <= high
        else entry
        for key, entry in entries.items()
    }


def undated_held(entries: Mapping[str, FeedEntry], *, first_read: bool) -> dict[str, FeedEntry]:
    """`entries`, those without a date marked of unknown age on the feed's `first_read`."""
    if not first_read:
        return dict(entries)
    return {
        key: replace(entry, age_unknown=True) if entry.published is None else entry
        for key, entry in entries.items()
    }
