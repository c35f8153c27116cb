"""Which configured feeds are one feed (`newsmon.feed_twins`)."""

from __future__ import annotations

from newsmon.feed_twins import feed_addresses, twin_feeds


def test_spellings_of_one_address_are_one_feed_the_first_configured_reads() -> None:
    feeds = [
        ("wire", feed_addresses("https://news.example/feed.xml", None)),
        ("wire-again", feed_addresses("http://www.news.example/feed.xml?utm_source=x", None)),
        ("other", feed_addresses("https://news.example/other.xml", None)),
    ]
    assert twin_feeds(feeds) == {"wire-again": "wire"}


def test_a_stored_move_onto_another_feed_s_address_makes_them_one() -> None:
    """The feed configured at the address reads it, whatever the order: it stored the stories
    (the moved one reading them from then on replied "also reported by" to each)."""
    moved = feed_addresses("https://old.example/rss", "https://news.example/feed.xml")
    feeds = [("regional", moved), ("wire", ("https://news.example/feed.xml",))]
    assert twin_feeds(feeds) == {"regional": "wire"}
    assert twin_feeds(feeds[::-1]) == {"regional": "wire"}


def test_feeds_moved_onto_each_other_s_address_leave_one_reader() -> None:
    a = feed_addresses("https://a.example/rss", "https://b.example/rss")
    b = feed_addresses("https://b.example/rss", "https://a.example/rss")
    assert len(twin_feeds([("a", a), ("b", b)])) == 1  # not both left unread
    c = feed_addresses("https://c.example/rss", "https://new.example/rss")
    d = feed_addresses("https://d.example/rss", "https://new.example/rss")
    assert twin_feeds([("c", c), ("d", d)]) == {"d": "c"}


def test_keyed_feeds_are_told_apart_by_their_keys_not_their_hidden_form() -> None:
    """Two readers' private feeds of one site: stored alike (`apikey=***`), two feeds."""
    hidden = "https://news.example/feed?apikey=***"
    feeds = [
        ("alice", feed_addresses("https://news.example/feed?apikey=alice-key-1", hidden)),
        ("bob", feed_addresses("https://news.example/feed?apikey=bob-key-22", hidden)),
    ]
    assert twin_feeds(feeds) == {}


def test_amp_spellings_of_feed_addresses_are_different_feeds() -> None:
    """A feed has no AMP rendering: a section called `amp` (its path's end or start, its
    `amp.` host, an `amp` query flag) is another feed, which folding left unread."""
    feeds = [
        ("main", feed_addresses("https://news.example/rss", None)),
        ("amp-section", feed_addresses("https://news.example/rss/amp", None)),
        ("amp-lab", feed_addresses("https://amp.uni.example/feed.xml", None)),
        ("uni", feed_addresses("https://uni.example/feed.xml", None)),
        ("amp-prefix", feed_addresses("https://uni.example/amp/feed.xml", None)),
        ("amp-flag", feed_addresses("https://news.example/rss?amp=1", None)),
    ]
    assert twin_feeds(feeds) == {}


def test_a_feed_at_a_twin_s_address_is_read_by_the_feed_that_reads_the_twin() -> None:
    moved = feed_addresses("https://old.example/rss", "https://news.example/feed.xml")
    feeds = [
        ("regional", moved),
        ("wire", ("https://news.example/feed.xml",)),
        ("regional-again", ("http://www.old.example/rss",)),
    ]
    assert twin_feeds(feeds) == {"regional": "wire", "regional-again": "wire"}
