"""Publishers' text that used to crash or swamp a feed: odd digits, huge numbers, JSON of the
wrong shape or depth, DTD entity bombs, endless entry lists. Each case is a regression test."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from newsmon.config import PollConfig
from newsmon.feeddtd import neutralise_entities
from newsmon.feeds import FeedParseError, parse_feed
from newsmon.poll import Severity, after_failure, after_success, freshness, retry_after

NOW = datetime(2025, 2, 24, 12, 0, tzinfo=UTC)
CONFIG = PollConfig()  # caps: 24 h interval, 24 h backoff
FEED_URL = "https://feed.example/rss.xml"


def rss(channel_extra: str = "", items: str = "") -> bytes:
    if not items:
        items = "<item><title>One</title><link>https://feed.example/1</link></item>"
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{channel_extra}'
        f"{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize("raw", ["²", "٣", "1²", "-5", "1e9", " "])
def test_ttl_that_is_not_ascii_digits_is_ignored(raw: str) -> None:
    feed = parse_feed(rss(f"<ttl>{raw}</ttl>"), FEED_URL)
    assert feed.ttl_minutes is None and len(feed.entries) == 1


@pytest.mark.parametrize("raw", ["9" * 30, "99999999999"])
def test_a_huge_ttl_is_capped_not_an_overflow(raw: str) -> None:
    feed = parse_feed(rss(f"<ttl>{raw}</ttl>"), FEED_URL)
    ttl = feed.ttl_minutes
    nxt = after_success(CONFIG, NOW, {}, ttl)
    assert nxt.at == NOW + timedelta(hours=24) or ttl is None


@pytest.mark.parametrize("raw", ["²", "１２０", "12 s", "-1"])
def test_retry_after_that_is_not_ascii_digits_is_ignored(raw: str) -> None:
    assert retry_after({"retry-after": raw}, NOW) is None
    nxt = after_failure(CONFIG, NOW, 1, Severity.SOFT, {"retry-after": raw}, 429)
    assert nxt.at == NOW + timedelta(minutes=5)  # the ordinary backoff


def test_huge_numbers_from_publishers_are_clamped() -> None:
    huge = "9" * 40
    assert retry_after({"retry-after": huge}, NOW) == timedelta(days=3650)
    nxt = after_failure(CONFIG, NOW, 1, Severity.SOFT, {"retry-after": huge}, 503)
    assert nxt.at == NOW + timedelta(hours=24)
    headers = {"cache-control": f"max-age={huge}"}
    hint = freshness(headers, None, NOW)
    assert hint is not None and hint[0] == timedelta(days=3650)
    # the 304 path reads the same headers
    assert after_success(CONFIG, NOW, headers).at == NOW + timedelta(hours=24)
    assert after_success(CONFIG, NOW, {}, 10**11).at == NOW + timedelta(hours=24)
    assert freshness({"cache-control": "max-age=00000000000000000000600"}, None, NOW) == (
        timedelta(seconds=600),
        "max-age 600 s",
    )


def json_feed(items: object, **extra: object) -> bytes:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items, **extra}
    return json.dumps(doc).encode()


@pytest.mark.parametrize("items", [5, "abc", {"url": "x"}, None, True])
def test_json_feed_items_of_the_wrong_shape_mean_no_entries(items: object) -> None:
    feed = parse_feed(json_feed(items), FEED_URL)
    assert feed.entries == [] and feed.warning == "the feed has no entries"


def test_json_feed_fields_of_the_wrong_shape_are_ignored() -> None:
    item = {
        "id": {"x": 1},
        "url": ["https://feed.example/1"],
        "external_url": "https://feed.example/2",
        "title": ["list"],
        "summary": "text",
        "authors": 5,
        "date_published": 7,
    }
    [entry] = parse_feed(
        json_feed([item, {"authors": [{"name": {"a": 1}}], "title": "B"}]), FEED_URL
    ).entries[:1]
    assert entry.link == "https://feed.example/2" and entry.guid is None
    assert entry.title == "" and entry.summary == "text" and entry.author is None


FIVE = [{"id": str(i), "url": f"https://feed.example/{i}", "title": f"T{i}"} for i in range(5)]


@pytest.mark.parametrize(
    ("damage", "titles"),
    [
        # cut short (a feed over the size cap, a dropped connection): the items before the cut
        (lambda d: d[: d.index(b'"T3"') + 2], ["T0", "T1", "T2"]),
        # one bad value: the items before it
        (lambda d: d.replace(b'"T2"', b'"T2" oops'), ["T0", "T1"]),
    ],
)
def test_a_broken_json_feed_keeps_the_items_before_the_damage(
    damage: Callable[[bytes], bytes], titles: list[str]
) -> None:
    """json.loads is all or nothing: a JSON Feed cut short or with one bad value had no
    entries at all (not a feed, every pass)."""
    feed = parse_feed(damage(json_feed(FIVE)), FEED_URL)
    assert [e.title for e in feed.entries] == titles and feed.title == "J"
    assert (feed.warning or "").startswith("JSON broken at character ")
    assert f"{len(titles)} items before it read, the rest lost" in (feed.warning or "")
    assert feed.unreadable == 1  # at least one story lost: an entry failure of the pass
    # reading stops at the entries wanted: nothing past them is read, so nothing is lost
    capped = parse_feed(damage(json_feed(FIVE)), FEED_URL, max_entries=2)
    assert [e.title for e in capped.entries] == ["T0", "T1"] and capped.unreadable == 0


def test_json_feed_bytes_that_cost_one_character_or_nothing() -> None:
    """A control character inside a string (strict JSON refuses it), an invalid UTF-8 byte and
    a trailing comma used to fail the whole feed."""
    data = json_feed(FIVE).replace(b'"T1"', b'"T1\x01"').replace(b'"T3"', b'"T3\xff"')
    feed = parse_feed(data, FEED_URL)
    assert [e.title for e in feed.entries] == ["T0", "T1", "T2", "T3\ufffd", "T4"]
    assert feed.warning is None and feed.unreadable == 0
    trailing = parse_feed(json_feed(FIVE).replace(b"}]", b"},]"), FEED_URL)
    assert len(trailing.entries) == 5 and trailing.unreadable == 0
    assert (trailing.warning or "").startswith("JSON broken at character ")
    # what is no JSON Feed before the damage is still not a feed
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(json_feed(FIVE)[:25], FEED_URL)


def test_deeply_nested_json_is_not_a_feed_and_no_crash() -> None:
    deep = b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * 200_000
    deep += b"]" * 200_000 + b"}"
    with pytest.raises(FeedParseError, match="nested too deeply"):
        parse_feed(deep, FEED_URL)


def test_entries_are_capped() -> None:
    items = "".join(
        f"<item><title>E{i}</title><link>https://feed.example/{i}</link></item>" for i in range(500)
    )
    assert len(parse_feed(rss(items=items), FEED_URL, max_entries=7).entries) == 7
    listed = [{"url": f"https://feed.example/{i}", "title": f"E{i}"} for i in range(500)]
    assert len(parse_feed(json_feed(listed), FEED_URL, max_entries=3).entries) == 3


def entity_bomb(size: int, refs: int) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [\n<!ENTITY big "{"x" * size}">\n]>\n'
        '<rss version="2.0"><channel><title>T</title><item><title>a</title>'
        f"<link>https://feed.example/1</link><description>{'&big;' * refs}</description>"
        "</item></channel></rss>"
    ).encode()


def test_dtd_entities_are_removed_before_parsing() -> None:
    started = time.perf_counter()
    feed = parse_feed(entity_bomb(100_000, 300), FEED_URL)  # 30 MB if expanded
    assert time.perf_counter() - started < 3
    [entry] = feed.entries
    assert "x" * 1000 not in entry.summary and entry.link == "https://feed.example/1"
    assert "DTD entity declarations removed" in (feed.warning or "")


def test_nested_entity_declarations_never_expand() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol"><!-- it\'s ]> -->'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><title>&b;</title><item><title>&b;</title>'
        b"<link>https://feed.example/1</link></item></channel></rss>"
    )
    feed = parse_feed(laughs, FEED_URL)
    assert "lol" not in feed.entries[0].title and "lol" not in (feed.title or "")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<!DOCTYPE rss [ <!ENTITY a 'b'>", "unterminated DOCTYPE"),
        (b"<!ENTITY a 'b'><rss/>", "outside a DOCTYPE"),
        (b"<!-- <!ENTITY a 'b'> --><rss/>", "outside a DOCTYPE"),
        ("<!DOCTYPE r [<!ENTITY a 'b'>]><rss/>".encode("utf-16"), "wide encoding"),
    ],
)
def test_entities_that_cannot_be_removed_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(FeedParseError, match=reason):
        parse_feed(data, FEED_URL)


TWO_ITEMS = (
    "<item><title>First</title><link>https://feed.example/1</link></item>"
    "<item><title>Second</title><link>https://feed.example/2</link></item>"
)


def test_doctypes_without_entities_are_left_alone() -> None:
    netscape = (
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"/>'
    )
    assert neutralise_entities(netscape) == (netscape, None)
    subset = b"<!DOCTYPE r [<!ATTLIST r a CDATA #IMPLIED>]><r/>"
    assert neutralise_entities(subset) == (subset, None)
    assert neutralise_entities(b'<!DOCTYPE r [<!ENTITY a "]>">]><r/>') == (
        b"<!DOCTYPE r ><r/>",
        "DTD entity declarations removed",
    )


def test_a_post_quoting_an_entity_declaration_is_read_as_text() -> None:
    """A security blog explaining XXE quotes `<!ENTITY` in its posts: after the root element
    starts that is text, escaped so no parser can act on it, not a reason to refuse the feed
    (the refusal cost such a blog every post, every pass)."""
    post = "<![CDATA[<p>The payload:</p><pre><!ENTITY xxe SYSTEM 'file:///etc/passwd'></pre>]]>"
    items = TWO_ITEMS.replace("</title>", f"</title><description>{post}</description>", 1)
    for data in (rss(items=items), b'<!DOCTYPE rss [<!ENTITY a "b">]>' + rss(items=items)):
        feed = parse_feed(data, FEED_URL)
        first, second = feed.entries
        assert "<!ENTITY xxe SYSTEM 'file:///etc/passwd'>" in first.summary
        assert "passwd" not in second.summary and second.title == "Second"
        assert "entity declarations in the text escaped" in (feed.warning or "")
    raw = b"<rss><channel><!ENTITY a 'b'></channel></rss>"
    assert neutralise_entities(raw) == (
        b"<rss><channel>&lt;!ENTITY a 'b'></channel></rss>",
        "entity declarations in the text escaped",
    )


# --- bytes that made feedparser raise instead of complaining (found by mutating real feeds) ---


@pytest.mark.parametrize("reference", ["&#xD800;", "&#55296;", "&#x110000;", "&#0;", "&#x1;"])
def test_a_reference_to_no_character_costs_one_character(reference: str) -> None:
    """A surrogate or out-of-range reference made feedparser raise (the whole feed failed,
    every pass); NUL and control characters went through into titles."""
    items = TWO_ITEMS.replace("First", f"Fir{reference}st")
    feed = parse_feed(rss(items=items), FEED_URL)
    assert [e.title for e in feed.entries] == ["Fir\ufffdst", "Second"]
    assert "1 character references to no character replaced" in (feed.warning or "")
    kept = parse_feed(rss(items=TWO_ITEMS.replace("First", "Fir&#xAC00;&#8212;st")), FEED_URL)
    assert kept.entries[0].title == "Fir가—st" and kept.warning is None


def test_control_characters_in_a_summary_are_dropped_not_fatal() -> None:
    """lxml refuses C0 controls in a tree: one in an entry's HTML failed the whole feed."""
    html = "<![CDATA[<p>open\x01 source</p><p>weights\x0bout</p><br>\x1f]]>"
    items = TWO_ITEMS.replace("</title>", f"</title><description>{html}</description>", 1)
    feed = parse_feed(rss(items=items), FEED_URL)
    first, second = feed.entries
    assert first.summary == "open source\nweights out" and second.title == "Second"


def test_an_unreadable_encoding_name_is_read_again_as_utf8() -> None:
    data = b'<?xml version="1.0" encoding="wi\xb9\xcbdows-1252"?>' + rss(items=TWO_ITEMS)[21:]
    feed = parse_feed(data, FEED_URL)
    assert [e.title for e in feed.entries] == ["First", "Second"] and feed.title == "T"
    assert (feed.warning or "").startswith("the feed parser failed (UnicodeDecodeError")
    assert "read again without what XML forbids" in (feed.warning or "")


def test_when_the_whole_feed_breaks_the_parser_each_entry_is_read_on_its_own() -> None:
    """A stray </height> in an ill-formed feed makes feedparser's fallback parser raise
    (TypeError), however the bytes are cleaned: the entries are read one by one, and a broken
    entry loses only itself."""
    broken_header = "<image><width>88</height></image>"
    third = "<item><title>Third</title><link>https://feed.example/3</link><width>1</height></item>"
    feed = parse_feed(rss(broken_header, TWO_ITEMS + third), FEED_URL)
    assert [(e.title, e.link) for e in feed.entries] == [
        ("First", "https://feed.example/1"),
        ("Second", "https://feed.example/2"),
    ]
    assert feed.title is None  # the channel's own fields are what broke
    assert (feed.warning or "").startswith("the feed parser failed (TypeError")
    assert "entries read one by one, 1 unreadable" in (feed.warning or "")
    assert feed.unreadable == 1  # a story lost: the pass counts it as an entry failure
    with pytest.raises(FeedParseError, match="no entry could be read on its own"):
        parse_feed(rss(broken_header, third), FEED_URL)


def test_reading_entry_by_entry_tries_no_more_entries_than_wanted() -> None:
    """Every try is a parse: unreadable entries count against `max_entries` as read ones do,
    so a feed of thousands of broken entries costs what the wanted number costs."""
    broken = "<item><title>x</title><width>1</height></item>"
    good = "".join(
        f"<item><title>Good {i}</title><link>https://feed.example/{i}</link></item>"
        for i in range(10)
    )
    feed = parse_feed(
        rss("<image><width>88</height></image>", broken * 3 + good), FEED_URL, max_entries=5
    )
    assert [e.title for e in feed.entries] == ["Good 0", "Good 1"]
    assert "entries read one by one, 3 unreadable" in (feed.warning or "")


@pytest.mark.parametrize(
    ("channel_extra", "first_item", "read"),
    [
        # an unclosed comment or CDATA section swallows every entry after it, and feedparser
        # reads on without raising: the feed had no entries, every pass
        ("<!-- the old sidebar", "", 0),
        ("<description><![CDATA[About us</description>", "", 0),
        # one entry's unclosed CDATA costs the entries after it, not only itself
        ("", "<item><title><![CDATA[Broken</title><link>https://feed.example/0</link></item>", 1),
    ],
)
def test_entries_an_ill_formed_feed_swallows_are_read_one_by_one(
    channel_extra: str, first_item: str, read: int
) -> None:
    feed = parse_feed(rss(channel_extra, first_item + TWO_ITEMS), FEED_URL)
    assert [(e.title, e.link) for e in feed.entries][-2:] == [
        ("First", "https://feed.example/1"),
        ("Second", "https://feed.example/2"),
    ]
    held = 3 if first_item else 2
    assert f"entries read one by one (the parser read {read} of {held})" in (feed.warning or "")
    assert (feed.warning or "").startswith("SAXParseException: ")
    assert feed.unreadable == 0
    # an entry no reading can parse is counted as lost, the others are kept
    broken = "<item><title>x</title><width>1</height></item>"
    lossy = parse_feed(rss(channel_extra, first_item + TWO_ITEMS + broken), FEED_URL)
    assert [e.title for e in lossy.entries][-2:] == ["First", "Second"]
    assert lossy.unreadable == 1 and "), 1 unreadable" in (lossy.warning or "")


def test_swallowed_entries_of_atom_and_euc_kr_feeds_keep_their_fields() -> None:
    """Read one by one, an entry keeps its namespace (Atom), date and declared encoding."""
    entries = "".join(
        f'<entry><title>A{i}</title><link href="https://feed.example/a{i}"/><id>a{i}</id>'
        f"<updated>2025-02-0{i + 1}T00:00:00Z</updated></entry>"
        for i in range(2)
    )
    atom = parse_feed(
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        + f"<subtitle><![CDATA[never closed</subtitle>{entries}</feed>".encode(),
        FEED_URL,
    )
    assert [(e.title, e.link, e.published) for e in atom.entries] == [
        ("A0", "https://feed.example/a0", datetime(2025, 2, 1, tzinfo=UTC)),
        ("A1", "https://feed.example/a1", datetime(2025, 2, 2, tzinfo=UTC)),
    ]
    korean = (
        '<?xml version="1.0" encoding="euc-kr"?><rss version="2.0"><channel><title>한글</title>'
        "<!-- 광고 <item><title>오픈소스 기사</title><link>https://feed.example/k</link></item>"
        "</channel></rss>"
    ).encode("euc-kr")
    feed = parse_feed(korean, FEED_URL)
    assert feed.title == "한글" and [e.title for e in feed.entries] == ["오픈소스 기사"]
    assert "(the parser read 0 of 1)" in (feed.warning or "")


def test_commented_out_entries_stay_out_and_a_whole_feed_is_not_read_again() -> None:
    """A closed comment is the publisher's: its entries are not salvaged. A feed the parser
    read whole is not read a second time, ill-formed or not."""
    from newsmon.feedrepair import count_entries, without_comments

    old = "<!-- <item><title>Old</title><link>https://feed.example/0</link></item> -->"
    feed = parse_feed(rss("<x></y>", old + TWO_ITEMS), FEED_URL)
    assert [e.title for e in feed.entries] == ["First", "Second"]
    assert "one by one" not in (feed.warning or "") and "mismatched tag" in (feed.warning or "")
    assert count_entries(without_comments(rss("", old + TWO_ITEMS))) == 2
    assert count_entries(rss("", old + TWO_ITEMS)) == 3
    # an unclosed comment loses only its opener; comments close at the first end after them
    assert without_comments(b"a<!--b-->c<!--d<!--e-->f<!--g") == b"acfg"
    # reading one by one stops at the entries wanted
    capped = parse_feed(rss("<!-- sidebar", TWO_ITEMS), FEED_URL, max_entries=1)
    assert [e.title for e in capped.entries] == ["First"]
    assert "(the parser read 0 of 2)" in (capped.warning or "")


def test_entries_are_cut_once_each_and_in_order() -> None:
    """Nested or unclosed entries never make one entry twice, and cutting is one scan."""
    from newsmon.feedrepair import entry_documents

    data = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>a</title><entry>b</entry>'
        b"<ENTRY ><title>c</title></Entry><entries/><entry><title>never closed</title></feed>"
    )
    documents = list(entry_documents(data))
    assert [d.split(b"<feed", 1)[1].split(b">", 1)[1] for d in documents] == [
        b"<entry><title>a</title><entry>b</entry></feed>",
        b"<ENTRY ><title>c</title></Entry></feed>",
    ]
    assert all(d.startswith(b'<?xml version="1.0" encoding="utf-8"?>') for d in documents)
    # a bare root start tag is taken alone, not with the element after it
    assert list(entry_documents(b"<rss><channel><item>a</item></channel></rss>")) == [
        b'<?xml version="1.0" encoding="utf-8"?>\n<rss><channel><item>a</item></channel></rss>'
    ]
    started = time.perf_counter()
    assert len(list(entry_documents(b"<item>" * 200_000 + b"</item>"))) == 1
    assert time.perf_counter() - started < 2


def test_a_broken_link_costs_the_link_not_the_feed() -> None:
    """urljoin raises on a bracketed host: in a JSON Feed or a page's feed links that failed
    the whole feed (or the discovery); the entry now keeps its text without a link."""
    from newsmon.feedlinks import find_feed_links

    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "home_page_url": "http://[SITE_URL]/",
        "items": [
            {"id": "1", "url": "http://[SITE_URL]/news/1", "title": "Template slip"},
            {"id": "2", "url": "https://feed.example/\ud800x", "title": "Surrogate"},
            {"id": "3", "url": "javascript:alert(1)", "title": "Script"},
            {"id": "4", "url": "/news/4", "title": "Relative"},
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), FEED_URL)
    assert [(e.title, e.link) for e in feed.entries] == [
        ("Template slip", None),
        ("Surrogate", "https://feed.example/\ufffdx"),
        ("Script", None),
        ("Relative", "https://feed.example/news/4"),
    ]
    assert feed.site_link is None
    page = (
        b'<link rel="alternate" type="application/rss+xml" href="http://[x/feed">'
        b'<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
    )
    assert find_feed_links(page, "https://site.example/") == ["https://site.example/rss.xml"]


def test_entries_swallowed_after_the_wanted_number_are_read_when_the_feed_lists_oldest_first() -> (
    None
):
    """The parser read 6 of 10 entries (an unclosed comment after the sixth), more than the 4
    wanted, so the rest were taken as lost for nothing: the feed lists oldest first, and its
    newest 4 (all swallowed) were never read."""
    items = "".join(
        f"<item><title>S{i}</title><link>https://feed.example/{i}</link>"
        f"<pubDate>Mon, 03 Mar 2025 0{i}:00:00 +0000</pubDate></item>"
        + ("<!-- the old sidebar" if i == 5 else "")
        for i in range(10)
    )
    feed = parse_feed(rss("", items), FEED_URL, max_entries=4)
    assert [e.title for e in feed.entries] == ["S9", "S8", "S7", "S6"]
    assert "entries read one by one (the parser read 6 of 10)" in (feed.warning or "")
