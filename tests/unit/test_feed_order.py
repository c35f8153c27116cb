"""Which entries of a feed longer than the cap are read (newsmon.feedorder)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsmon.feedorder import newest_entries
from newsmon.feeds import parse_feed

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def test_the_first_entries_are_read_unless_the_last_is_dated_later() -> None:
    days = [T0 + timedelta(days=i) for i in range(6)]
    assert newest_entries(days, 3, lambda d: d) == (
        [days[5], days[4], days[3]],
        "entries listed oldest first: the newest 3 of 6 read",
    )
    assert newest_entries(days[::-1], 3, lambda d: d) == (days[::-1][:3], None)
    assert newest_entries(days, 6, lambda d: d) == (days, None)  # within the cap: all, as listed
    assert newest_entries(days, None, lambda d: d) == (days, None)
    # an undated end (or a naive date, which cannot be compared) keeps the feed's order
    undated = [None, *days]
    assert newest_entries(undated, 3, lambda d: d) == (undated[:3], None)
    naive = [d.replace(tzinfo=None) for d in days]
    assert newest_entries(naive, 3, lambda d: d) == (naive[:3], None)


def test_an_atom_feed_appending_its_entries_has_its_newest_read() -> None:
    entries = "".join(
        f"<entry><title>E{i}</title><id>urn:e{i}</id><link href='https://x.test/{i}'/>"
        f"<updated>2025-03-0{i + 1}T10:00:00+09:00</updated></entry>"
        for i in range(5)
    )
    feed = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>{entries}</feed>'
    parsed = parse_feed(feed.encode(), "https://x.test/atom", max_entries=2)
    assert [e.title for e in parsed.entries] == ["E4", "E3"]
    assert parsed.warning == "entries listed oldest first: the newest 2 of 5 read"


def test_only_whole_entries_between_the_first_and_last_are_left_out() -> None:
    from newsmon.feedslim import thin_entries

    pad = "x" * 200  # over MAX_ENTRY_BYTES in all, as a feed worth thinning is
    items = [
        f"<item><title>I{i}</title><description>{pad}</description></item>" for i in range(4000)
    ]
    # an entry opening a comment that closes in the next one: neither may go
    items[2000] = items[2000].replace("</item>", "<!-- </item>")
    items[2001] = items[2001].replace("<item>", "--> <item>")
    feed = f"<rss><channel><title>T</title>{''.join(items)}</channel></rss>".encode()
    thinned, listed = thin_entries(feed, "utf-8", 3)
    assert listed == 4000
    titles = [e.title for e in parse_feed(thinned, "https://x.test/f").entries]
    assert titles[:3] == ["I0", "I1", "I2"] and titles[-3:] == ["I3997", "I3998", "I3999"]
    assert "I2000" in titles and "I1000" not in titles and len(titles) == 7
    # twice the entries kept or fewer, a small feed, or no cap: as it is
    assert thin_entries(feed, "utf-8", 2000) == (feed, 0)
    assert thin_entries(feed, "utf-8", None) == (feed, 0)
    assert thin_entries(feed[:100_000], "utf-8", 3) == (feed[:100_000], 0)
