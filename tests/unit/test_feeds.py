import json
from datetime import timedelta

import pytest

from newsmon.feedlinks import find_feed_links
from newsmon.feeds import FeedParseError, parse_feed

EUCKR_RSS = """<?xml version="1.0" encoding="euc-kr"?>
<rss version="2.0"><channel><title>테크 위클리</title>
<item><title>똠방각하 &lt;b&gt;오픈소스&lt;/b&gt; 공개</title><link>/news/1.html</link>
<description>&lt;p&gt;딥시크가 코드를 &lt;b&gt;오픈소스로&lt;/b&gt; 공개했다.&lt;/p&gt;</description>
<pubDate>Mon, 24 Feb 2025 09:30:00 +0900</pubDate></item>
<item><title>링크 없는 항목</title><description>본문</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Frontier Wire</title>
<entry><id>tag:fw,2025:1</id><title type="html">US &lt;em&gt;AISI&lt;/em&gt; layoffs</title>
<link rel="alternate" href="https://fw.example/en/aisi.html"/>
<published>2025-02-20T18:00:00-05:00</published><summary>NIST cuts.</summary></entry>
<entry><id>https://fw.example/en/no-link.html</id><title>Only an id</title>
<updated>not a date</updated></entry>
</feed>"""


def test_euckr_feed_with_cp949_syllables_decodes_right() -> None:
    feed = parse_feed(EUCKR_RSS.encode("cp949"), "https://tw.example/rss/all.xml")
    entry, linkless = feed.entries
    assert linkless.link is None and linkless.title == "링크 없는 항목"
    assert entry.title == "똠방각하 오픈소스 공개"  # markup stripped, 똠 intact
    assert entry.link == "https://tw.example/news/1.html"  # resolved against the feed URL
    assert entry.summary == "딥시크가 코드를 오픈소스로 공개했다."
    assert entry.published is not None and entry.published.utcoffset() == timedelta(hours=9)
    assert feed.skipped == 0  # an entry without a link is kept (see below)


def test_atom_entry_fields_and_time_zone() -> None:
    feed = parse_feed(ATOM.encode(), "https://fw.example/feed.atom")
    first, second = feed.entries
    assert first.title == "US AISI layoffs"
    assert first.guid == "tag:fw,2025:1"
    assert first.published is not None and first.published.utcoffset() == timedelta(hours=-5)
    assert second.link == "https://fw.example/en/no-link.html"  # a URL id stands in for the link
    assert second.published is None


def test_not_a_feed_is_a_clear_error() -> None:
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(b"<html><body>Hello</body></html>", "https://x.example/")
    with pytest.raises(FeedParseError):
        parse_feed(b"", "https://x.example/")


def test_ill_formed_feed_still_yields_entries_with_a_warning() -> None:
    broken = ATOM.replace("</feed>", "").encode()
    feed = parse_feed(broken, "https://fw.example/feed.atom")
    assert len(feed.entries) == 2
    assert feed.warning


def test_entries_without_links_still_count() -> None:
    data = b"""<rss version="0.91"><channel><title>c</title><link>https://site.example/</link>
    <item><title>No link, no guid</title><description>Text only.</description></item>
    <item></item></channel></rss>"""
    feed = parse_feed(data, "https://site.example/rss")
    [entry] = feed.entries
    assert entry.link is None and entry.title == "No link, no guid"
    assert feed.site_link == "https://site.example/" and feed.skipped == 1
    assert "1 empty entry skipped" in (feed.warning or "")


def test_json_feed() -> None:
    data = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J", "home_page_url": "https://j.example/",
      "items": [{"id": "1", "url": "/posts/1", "title": "Open weights <b>now</b>", "content_html": "<p>Body</p>",
                 "date_published": "2025-02-21T09:00:00+09:00", "authors": [{"name": "Kim"}]}]}"""
    feed = parse_feed(data, "https://j.example/feed.json")
    [entry] = feed.entries
    assert (entry.link, entry.title, entry.summary, entry.author) == (
        "https://j.example/posts/1",
        "Open weights now",
        "Body",
        "Kim",
    )
    assert entry.published is not None and entry.published.utcoffset() == timedelta(hours=9)


def test_charset_claims_that_contradict_each_other() -> None:
    from newsmon.feeds import feed_encoding

    korean = EUCKR_RSS.encode("cp949")
    # the HTTP header says UTF-8, the prolog says EUC-KR, the bytes are CP949: the bytes win
    feed = parse_feed(korean, "https://tw.example/rss", http_charset="utf-8")
    assert feed.entries[0].title == "똠방각하 오픈소스 공개"
    # the header says EUC-KR but the bytes (and prolog) are UTF-8
    utf8 = EUCKR_RSS.replace('encoding="euc-kr"', 'encoding="utf-8"').encode("utf-8")
    assert feed_encoding(utf8, "euc-kr") == "utf-8"
    assert (
        parse_feed(utf8, "https://tw.example/rss", http_charset="euc-kr")
        .entries[0]
        .title.startswith("똠방각하")
    )
    # a latin-1 header on UTF-8 bytes (a common server default) does not make mojibake
    assert feed_encoding(utf8.replace(b' encoding="utf-8"', b""), "iso-8859-1") == "utf-8"
    # no claim at all, CP949 bytes: recognised as Korean rather than read as windows-1252
    bare = korean.replace(b' encoding="euc-kr"', b"")
    assert feed_encoding(bare, None) == "cp949"
    assert parse_feed(bare, "https://tw.example/rss").entries[0].title == "똠방각하 오픈소스 공개"
    # undeclared latin-1 (not Korean) is left to feedparser's own detection
    assert (
        feed_encoding(
            "<rss><channel><title>Caf\u00e9</title></channel></rss>".encode("latin-1"), None
        )
        is None
    )


@pytest.mark.parametrize("mark", ["\u200b", "\ufeff", "\u200b\u2060", "\u00ad"])
@pytest.mark.parametrize("kind", ["rss", "atom", "json"])
def test_invisible_characters_around_a_link_do_not_move_it(mark: str, kind: str) -> None:
    """A CMS that opens fields with a zero-width space or a byte order mark (AI타임스 does
    so in its text) must not turn the story's link into a path on the feed's own host (its
    page never read, the alert linking nowhere), nor give it another key."""
    link = f"{mark}https://news.example/article/1{mark}"
    data = {
        "rss": f'<rss version="2.0"><channel><title>t</title><item><title>A</title>'
        f"<link>{link}</link><description>d</description></item></channel></rss>",
        "atom": f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>e1'
        f'</id><title>A</title><link href="{link}"/><summary>d</summary></entry></feed>',
        "json": '{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": '
        f'[{{"id": "1", "url": "{link}", "content_text": "d"}}]}}',
    }[kind]
    [entry] = parse_feed(data.encode("utf-8"), "https://feeds.example/rss.xml").entries
    assert entry.link == "https://news.example/article/1"


WIDE_RSS = (
    '<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"><channel><title>Wide desk</title>'
    "<item><title>{title}</title><link>https://wd.example/1</link></item></channel></rss>"
)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("charset", [None, "utf-16"])
@pytest.mark.parametrize("title", ["Lab ships its model", "연구소 모델 공개"])
def test_a_utf16_feed_without_a_byte_order_mark(
    codec: str, charset: str | None, title: str
) -> None:
    """XML may be UTF-16 without a BOM, its prolog's "<?" in two bytes each saying the order
    (XML 1.0, appendix F). Served as text/xml without a charset, feedparser read it as ASCII
    (RFC 3023's default) and the whole feed failed, "not a feed"; with "charset=utf-16" big
    endian bytes were read little endian, the same."""
    data = WIDE_RSS.format(title=title).encode(codec)
    feed = parse_feed(data, "https://wd.example/rss", charset, "text/xml")
    assert feed.title == "Wide desk"
    assert [(e.title, e.link) for e in feed.entries] == [(title, "https://wd.example/1")]


@pytest.mark.parametrize(
    ("base", "found"),
    [
        ('<base href="https://www.site.example/blog/">', "https://www.site.example/blog/feed.xml"),
        ('<base href="/blog/">', "https://site.example/blog/feed.xml"),  # itself relative
        ('<base target="_blank">', "https://site.example/2024/05/feed.xml"),  # no href
        ('<base href="javascript:void(0)">', "https://site.example/2024/05/feed.xml"),
    ],
)
def test_a_page_s_feed_links_are_resolved_against_its_base(base: str, found: str) -> None:
    """A page with `<base href>` (blogs served under a path, CMS templates) links its feed
    relative to that base, as a browser reads it: resolved against the page's own address,
    `feeds add` tried an address that does not exist and found no feed, or another one."""
    page = (
        f"<html><head>{base}"
        '<link rel="alternate" type="application/rss+xml" href="feed.xml"></head></html>'
    ).encode()
    assert find_feed_links(page, "https://site.example/2024/05/story.html") == [found]


def _channel(site: str, items: str, extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0" {extra}><channel><title>t</title>'
        f"<link>{site}</link>{items}</channel></rss>"
    ).encode()


def test_relative_item_links_are_the_channel_site_s_pages() -> None:
    """A feed on `feeds.example.com` about `www.example.com`: its relative item links were the
    feed host's (404s); they are the site's, the link read before kept for stored rows."""
    items = "<item><title>a</title><link>/2025/03/x.html</link></item>"
    items += "<item><title>b</title><link>https://other.example/y</link></item>"
    parsed = parse_feed(
        _channel("https://www.example.com/", items), "https://feeds.example.com/rss"
    )
    a, b = parsed.entries
    assert a.link == "https://www.example.com/2025/03/x.html"
    assert a.former_link == "https://feeds.example.com/2025/03/x.html"
    assert (b.link, b.former_link) == ("https://other.example/y", None)
    # a stranger's or a template's channel link is not the site: the feed's address stays the base
    for site in ("http://localhost/", "https://wordpress.org/", "https://a.co.kr/"):
        feed = "https://b.co.kr/rss" if site.endswith("co.kr/") else "https://feeds.example.com/rss"
        only = parse_feed(_channel(site, items), feed).entries[0]
        assert only.link == feed.rsplit("/", 1)[0] + "/2025/03/x.html", site
        assert only.former_link is None


def test_relative_links_of_a_feed_listing_oldest_first_are_each_entry_s_own() -> None:
    """Entries read newest first from the end of a long feed (`feedorder`) and links read
    again against the channel's site: each entry keeps its own page, not another's."""
    items = "".join(
        f"<item><title>s{i}</title><link>/2025/03/s{i}.html</link>"
        f"<pubDate>Mon, {i + 1:02d} Mar 2025 09:00:00 +0000</pubDate></item>"
        for i in range(10)
    )
    parsed = parse_feed(
        _channel("https://www.example.com/", items),
        "https://feeds.example.com/rss",
        max_entries=4,
    )
    got = [(e.title, e.link) for e in parsed.entries]
    assert got == [(f"s{i}", f"https://www.example.com/2025/03/s{i}.html") for i in (9, 8, 7, 6)]


def test_feedburner_items_are_their_original_links() -> None:
    fb = 'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"'
    items = (
        "<item><title>a</title><link>https://feedproxy.google.com/~r/ex/~3/abc/</link>"
        "<feedburner:origLink>https://www.example.com/a.html</feedburner:origLink></item>"
    )
    parsed = parse_feed(
        _channel("https://www.example.com/", items, fb), "https://feeds.feedburner.com/ex"
    )
    only = parsed.entries[0]
    assert only.link == "https://www.example.com/a.html"
    assert only.former_link == "https://feedproxy.google.com/~r/ex/~3/abc/"


def _json_feed(home: str, *urls: str) -> bytes:
    items = [{"id": str(i), "url": url, "title": f"t{i}"} for i, url in enumerate(urls)]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "home_page_url": home}
    return json.dumps({**doc, "items": items}).encode()


def test_a_json_feed_s_relative_item_urls_are_its_home_page_s_pages() -> None:
    """As RSS items against the channel's `<link>`: a JSON Feed on `feeds.example.com` whose
    `home_page_url` is `www.example.com` had its relative item urls read as the feed host's
    (404s, stored from the teaser, keyed apart from the site's other feeds)."""
    feed = "https://feeds.example.com/feed.json"
    data = _json_feed("https://www.example.com/", "/2025/03/x.html", "https://other.example/y")
    a, b = parse_feed(data, feed).entries
    assert a.link == "https://www.example.com/2025/03/x.html"
    assert a.former_link == "https://feeds.example.com/2025/03/x.html"
    assert (b.link, b.former_link) == ("https://other.example/y", None)
    # a stranger's or a template's home page is not the site: the feed's address stays the base
    for home in ("http://localhost/", "https://wordpress.org/"):
        only = parse_feed(_json_feed(home, "/2025/03/x.html"), feed).entries[0]
        assert (only.link, only.former_link) == ("https://feeds.example.com/2025/03/x.html", None)
