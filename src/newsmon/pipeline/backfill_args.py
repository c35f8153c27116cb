"""A backfill's parameters as the command and the Prefect UI give them, checked once: a range
that selects nothing or cannot be counted, an emptied list. Each mistake is one line
(`BackfillArgumentError`) before the run starts, not a run over nothing or a crash."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta


class BackfillArgumentError(ValueError):
    """A backfill parameter that cannot mean what the operator wanted; one line."""


# A range's end: a day (its whole day, inclusive) or an instant (up to it). The Prefect UI's date
# field and an operator abroad give `2025-03-04T00:00:00+09:00`: that day in that zone.
Moment = datetime | date


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def parse_moment(value: str, option: str) -> Moment:
    """A command's `--since`/`--until`: a date (a UTC day) or an ISO date and time, with its
    offset (`+09:00`, `Z`; none is UTC)."""
    try:
        return date.fromisoformat(value) if len(value) <= 10 else datetime.fromisoformat(value)
    except ValueError:
        raise BackfillArgumentError(
            f"{option} wants a date as YYYY-MM-DD, or a date and time with its offset "
            f"(2025-03-04T00:00:00+09:00), got {value!r}"
        ) from None


def _bound(moment: Moment, *, end: bool) -> datetime:
    """The instant a range starts (or, `end`, stops) at: a date is its UTC day; a midnight
    with an offset is that day in that zone (what a date picker in Seoul sends); any other
    time is that instant. Naive is UTC. An end day is inclusive: the range stops a day on."""
    if not isinstance(moment, datetime):
        return day_start(moment + timedelta(days=1) if end else moment)
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if end and aware.timetz().replace(tzinfo=None) == time.min:
        aware += timedelta(days=1)
    return aware.astimezone(UTC)


def first_seen_range(since: Moment, until: Moment | None) -> tuple[datetime, datetime | None]:
    """The UTC instants [start, end) from `since` through `until` (a day inclusive, see
    `_bound`; None: open-ended). An end before the start would re-classify nothing and say it
    did; the calendar's last day has no day after to end at (it means "open-ended": leave it
    out)."""
    start = _bound(since, end=False)
    try:
        stop = None if until is None else _bound(until, end=True)
    except OverflowError:
        raise BackfillArgumentError(
            f"until {until} is past the last day a backfill can count to: leave it out "
            "for every article from since on"
        ) from None
    if stop is not None and stop <= start:
        raise BackfillArgumentError(f"until {until} is before since {since}")
    return start, stop


def topic_filter(topics: Collection[str] | None) -> list[str] | None:
    """None for no filter: an emptied list (the Prefect UI's topics field cleared) means every
    topic, as a command without `--topic` does, not a backfill of no topic at all."""
    return sorted(set(topics)) if topics else None


def require_pages(urls: Sequence[object]) -> None:
    """A `backfill-urls` run given no page (an emptied list in the Prefect UI) loads nothing:
    refused, as the command refuses it, instead of a completed run of 0 pages."""
    if not urls:
        raise BackfillArgumentError("no pages given: urls wants page URLs")
