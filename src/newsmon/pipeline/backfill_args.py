"""A backfill's parameters as the command and the Prefect UI give them, checked once: a range
that selects nothing or cannot be counted, an emptied list. Each mistake is one line
(`BackfillArgumentError`) before the run starts, not a run over nothing or a crash."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta


class BackfillArgumentError(ValueError):
    """A backfill parameter that cannot mean what the operator wanted; one line."""


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def first_seen_range(since: date, until: date | None) -> tuple[datetime, datetime | None]:
    """The UTC instants [start, end) of the days `since` through `until` (inclusive; None:
    open-ended). An end before the start would re-classify nothing and say it did; the
    calendar's last day has no day after to end at (it means "open-ended": leave it out)."""
    if until is None:
        return day_start(since), None
    if until < since:
        raise BackfillArgumentError(f"until {until} is before since {since}")
    if until >= date.max:
        raise BackfillArgumentError(
            f"until {until} is past the last day a backfill can count to: leave it out "
            "for every article from since on"
        )
    return day_start(since), day_start(until + timedelta(days=1))


def topic_filter(topics: Collection[str] | None) -> list[str] | None:
    """None for no filter: an emptied list (the Prefect UI's topics field cleared) means every
    topic, as a command without `--topic` does, not a backfill of no topic at all."""
    return sorted(set(topics)) if topics else None


def require_pages(urls: Sequence[object]) -> None:
    """A `backfill-urls` run given no page (an emptied list in the Prefect UI) loads nothing:
    refused, as the command refuses it, instead of a completed run of 0 pages."""
    if not urls:
        raise BackfillArgumentError("no pages given: urls wants page URLs")
