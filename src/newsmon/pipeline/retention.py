"""Retention of the near-duplicate index: each pass takes the band rows of old stories out of
it, a bounded share at a time, so the table grows with the story window, not with the corpus.

No announcement changes: a similar text joins only a story out within `clusters.STORY_WINDOW`
of it, and a story stays in the index at least that window, a day and the alert age limit
(`config.min_index_days`).
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
    before = now - timedelta(days=days)
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
    before = now - timedelta(days=days)
    return store.retention.count_old_indexed(before), before
