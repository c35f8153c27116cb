"""Retention of the near-duplicate index: each pass takes the band rows of old stories out of
it, a bounded share at a time, so the table grows with the story window, not with the corpus.

No announcement changes: a similar text joins only a story out within `clusters.STORY_WINDOW`
of it, and a story stays in the index at least that window, a day and the alert age limit
(`index_days.min_index_days`). A teaser whose page is still to be tried counts as seen now: read
at last, it joins the stories near when it was first seen (`Articles.recover_page`), and may
be announced, so the retention runs from the longest-waiting one.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsmon.corpus import Store

# Articles per transaction: short transactions, so feeds being stored never wait long.
BATCH = 500


@dataclass(frozen=True)
class PruneOutcome:
    dropped: int  # articles taken out of the index
    more: bool  # the share ran out before the old articles did
    before: datetime | None  # articles first seen before this left it; None: retention off


def prune_index(store: Store, days: float | None, now: datetime, limit: int) -> PruneOutcome:
    """Drop the band rows of up to `limit` articles (0: all) first seen more than `days` ago
    (None: retention is off), oldest first."""
    if days is None:
        return PruneOutcome(0, False, None)
    before = cutoff(store, days, now)
    share = limit or sys.maxsize
    dropped = 0
    while dropped < share:
        asked = min(BATCH, share - dropped)
        got = store.retention.drop_old_bands(before, asked)
        dropped += got
        if got < asked:
            return PruneOutcome(dropped, False, before)
    return PruneOutcome(dropped, store.retention.count_old_indexed(before) > 0, before)


def pending_prune(store: Store, days: float | None, now: datetime) -> tuple[int, datetime | None]:
    """How many articles `prune_index` would take out of the index now, and the cut-off."""
    if days is None:
        return 0, None
    before = cutoff(store, days, now)
    return store.retention.count_old_indexed(before), before


def cutoff(store: Store, days: float, now: datetime) -> datetime:
    """Articles first seen before this leave the index: `days` before now, or before the
    longest-waiting teaser whose page is still being tried. Its page may be read weeks late
    (a site down: its pages wait without a try counted), and a copy of a story announced then
    must find that story in the index, or it is announced again. A page whose next try is more
    than `days` past (its feed gone from the configuration) holds nothing back."""
    keep = timedelta(days=days)
    waiting = store.retention.oldest_page_waiting(now - keep)
    since = now if waiting is None else min(now, waiting)
    return since - keep
