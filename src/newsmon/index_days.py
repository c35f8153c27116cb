"""How long the near-duplicate index must remember a story so that no copy is announced
again: a rule of the configuration (`dedup.index_days`) and of `newsmon prune --days`."""

from __future__ import annotations

# A similar text joins a story out within 7 days of it (`clusters.STORY_WINDOW`), and a feed's
# date may lie a day ahead of when it was seen (`clusters.story_time`); tests/unit/test_config.py
# checks that these agree with `clusters`.
WINDOW_DAYS = 8.0


def min_index_days(max_age_hours: float | None) -> float | None:
    """The shortest retention that can change no announcement: a copy is announced only while
    its story is younger than the alert age limit, and it joins a story out within the window
    of it. None: without an age limit no retention is safe (a copy of a months-old story,
    dated as such, would be announced when its story has left the index)."""
    return None if max_age_hours is None else WINDOW_DAYS + max_age_hours / 24


def retention_too_short(days: float | None, max_age_hours: float | None) -> str | None:
    """Why a retention of `days` could let a copy be announced again (None: it cannot).
    Without an age limit no retention is safe for old copies, but one under the story window
    (`prune --days 0`) would announce again tomorrow's copy of today's story: refused too."""
    floor = min_index_days(max_age_hours)
    if floor is None and days is not None and days < WINDOW_DAYS:
        return (
            f"must be at least {WINDOW_DAYS:g} days (the 7-day story window and a day of "
            "slack): otherwise a copy of a recent story would be announced again"
        )
    if days is None or floor is None or days >= floor:
        return None
    return (
        f"must be at least {floor:g} days (the 7-day story window, a day of slack and "
        "alerts.max_age_hours): otherwise a copy of a story could be announced again"
    )
