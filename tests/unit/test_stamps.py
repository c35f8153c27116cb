"""`newsmon.stamps`: which shared dates are a feed's rendering time, not its stories'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsmon.feeds import FeedEntry
from newsmon.stamps import stamp_window, undated_held, unstamped

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _ago(*minutes: float) -> list[datetime | None]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_most_entries_sharing_the_rendering_time_are_stamped() -> None:
    dates = _ago(0.5, 0.5, 0.5, 0.5, 300)
    assert stamp_window(dates, NOW) == (NOW - timedelta(seconds=30),) * 2


def test_a_cached_rendering_is_stamped_too() -> None:
    assert stamp_window(_ago(40, 40, 40), NOW) is not None


def test_stories_minutes_apart_are_not_stamped() -> None:
    assert stamp_window(_ago(3, 9, 16, 30), NOW) is None


def test_a_burst_among_a_feeds_usual_spread_is_not_stamped() -> None:
    assert stamp_window(_ago(1, 1.5, 2, 60, 120, 180, 240, 300), NOW) is None


def test_two_entries_or_an_old_shared_date_are_not_stamped() -> None:
    assert stamp_window(_ago(1, 1), NOW) is None
    assert stamp_window(_ago(600, 600, 600), NOW) is None
    assert stamp_window([None, None, None], NOW) is None


def _entry(title: str, published: datetime | None) -> FeedEntry:
    return FeedEntry(None, f"https://example.com/{title}", title, "", published, None)


def test_only_the_stamped_entries_lose_their_dates() -> None:
    old = NOW - timedelta(days=3)
    entries = {t: _entry(t, d) for t, d in zip("abcd", [*_ago(0, 0, 0), old], strict=True)}
    first = unstamped(entries, NOW, first_read=True)
    assert first is not None
    assert [(e.published, e.age_unknown) for e in first.values()] == [
        (None, True),
        (None, True),
        (None, True),
        (old, False),
    ]
    later = unstamped(entries, NOW, first_read=False)
    assert later is not None and not any(e.age_unknown for e in later.values())
    assert unstamped({"d": entries["d"]}, NOW, first_read=True) is None


def test_undated_entries_are_of_unknown_age_on_the_first_read_only() -> None:
    entries = {"a": _entry("a", None), "b": _entry("b", NOW)}
    first = undated_held(entries, first_read=True)
    assert [e.age_unknown for e in first.values()] == [True, False]
    assert not any(e.age_unknown for e in undated_held(entries, first_read=False).values())
