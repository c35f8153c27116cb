"""Aggregator items (`newsmon.aggregated`): what is the publisher's headline, what is a
wrapper link, and which texts are a headline alone (`headlines.headline_only`)."""

from __future__ import annotations

from urllib.parse import quote

from newsmon.aggregated import Origin, says_nothing_more, site_of, story_site, without_name
from newsmon.dedup import normalise_text, title_keys
from newsmon.feeds import parse_feed
from newsmon.headlines import headline_only

GNEWS = "https://news.google.com/rss/search?q=open+source+AI"


def test_only_the_source_s_name_is_taken_off_the_title() -> None:
    assert without_name("AI 안전 연구소 출범 - 연합뉴스", "연합뉴스") == "AI 안전 연구소 출범"
    assert without_name("Llama 4 is out | The Verge", "The Verge") == "Llama 4 is out"
    # another suffix, or the name alone, is the headline
    assert without_name("Rust 2.0 - a retrospective", "Example Times") == (
        "Rust 2.0 - a retrospective"
    )
    assert without_name(" - Example Times", "Example Times") == " - Example Times"
    assert without_name("Headline - Example Times", None) == "Headline - Example Times"


def test_a_description_of_headline_and_publisher_says_nothing_more() -> None:
    assert says_nothing_more("Llama 4 is out The Verge", "Llama 4 is out", "The Verge")
    assert says_nothing_more("", "Llama 4 is out", "The Verge")
    assert not says_nothing_more(
        "Meta released Llama 4 weights under its licence today.", "Llama 4 is out", "The Verge"
    )


def test_a_wrapper_is_a_link_on_the_feed_s_site_to_another_site_s_story() -> None:
    origin = Origin("The Verge", "https://www.theverge.com")
    assert origin.wraps("https://news.google.com/rss/articles/CBMi?oc=5", GNEWS)
    # the publisher's own page, named by an aggregator or by its own feed, is read
    assert not origin.wraps("https://www.theverge.com/2025/4/5/llama", GNEWS)
    own = "https://feeds.theverge.com/rss"
    assert not origin.wraps("https://www.theverge.com/2025/4/5/llama", own)
    assert not Origin("The Verge", None).wraps("https://news.google.com/rss/articles/x", GNEWS)


def test_a_headline_alone_and_a_headline_s_key() -> None:
    title = "DeepSeek releases the weights of its open source model"
    assert headline_only(title, "", normalise_text)
    assert headline_only(title, title, normalise_text)
    assert not headline_only(
        title, title + "\nDeepSeek published the weights today.", normalise_text
    )
    assert title_keys(title) == title_keys("[속보] " + title.upper())
    assert title_keys("오늘의 주요 소식") == []  # too generic to be a story's


def test_a_wrapper_naming_the_publisher_s_own_link_is_read_as_that_link() -> None:
    """A wrapper carrying the story's address (`…/click?url=https%3A%2F%2Fpublisher…`, Bing
    News style): the alert, thread replies and digests linked the redirect page, never read;
    the publisher's own link is known, so it is the item's link (and its page is read)."""
    own = "https://www.example-times.com/2025/02/24/open-weights?id=7"
    wrapper = "https://agg.example/news/click?tid=9&amp;url=" + quote(own, safe="")
    item = (
        f"<item><title>Open weights - Example Times</title><link>{wrapper}</link>"
        '<source url="https://www.example-times.com/">Example Times</source></item>'
    )
    feed = f'<rss version="2.0"><channel><title>Agg</title>{item}</channel></rss>'
    (entry,) = parse_feed(feed.encode(), "https://agg.example/news/search?format=rss").entries
    assert (entry.link, entry.wrapped, entry.publisher) == (own, False, "Example Times")
    assert entry.former_link == wrapper.replace("&amp;", "&")  # what rows were keyed by
    # an address of another site in the wrapper is no publisher's link: still the wrapper
    other = "https://agg.example/news/click?url=" + quote("https://tracker.example/x", safe="")
    item = item.replace(wrapper, other.replace("&", "&amp;"))
    feed = f'<rss version="2.0"><channel><title>Agg</title>{item}</channel></rss>'
    (entry,) = parse_feed(feed.encode(), "https://agg.example/news/search?format=rss").entries
    assert entry.wrapped and entry.link == other


def test_an_address_a_browser_reads_on_another_site_is_not_the_publisher_s() -> None:
    """A browser reads `\\` as `/` in an http(s) address ("https://evil.example\\@www.yna.co.kr/"
    opens evil.example; urllib read its host as www.yna.co.kr): the wrapper's address became the
    alert's link, credited to Yonhap, and opened another site."""
    origin = Origin("연합뉴스", "https://www.yna.co.kr/")
    for spoof in (
        "https://evil.example\\@www.yna.co.kr/view/AKR2025",
        "https://evil.example\\.@www.yna.co.kr/view",
    ):
        assert site_of(spoof) == "evil.example"
        wrapper = "https://news.google.com/rss/articles/x?url=" + quote(spoof, safe="")
        assert origin.wraps(wrapper, GNEWS)
        assert origin.unwrapped(wrapper) is None
    assert Origin("연합뉴스", "https://evil.example\\@www.yna.co.kr/").site == "evil.example"
    # the publisher's own address is still read as its own
    own = "https://www.yna.co.kr/view/AKR2025?section=it"
    assert origin.unwrapped("https://news.google.com/x?url=" + quote(own, safe="")) == own


def test_every_spelling_of_a_publisher_s_host_is_one_site() -> None:
    """Feeds and aggregators write one host in Unicode, punycode, full width, capitals, with a
    trailing dot or a default port: `site_of` gave each its own site, so an aggregator's item
    whose `<source>` wrote `한국일보.kr` never found the publisher's own `xn--…` link (the alert
    linked the wrapper) and a wrapper carrying `ＹＮＡ.co.kr` was not read as Yonhap's page."""
    spellings = (
        "https://한국일보.kr/a",
        "https://xn--3e0bm80ac2h5no.kr/a",
        "https://XN--3E0BM80AC2H5NO.KR./a",
        "https://www.한국일보.kr:443/a",
    )
    assert {site_of(u) for u in spellings} == {"xn--3e0bm80ac2h5no.kr"}
    yonhap = ("https://ＹＮＡ.co.kr/", "https://ｗｗｗ．ｙｎａ．ｃｏ．ｋｒ/", "https://YNA.CO.KR./")
    assert {site_of(u) for u in yonhap} == {"yna.co.kr"}
    assert (
        site_of("https://Bücher.de/x") == site_of("https://xn--bcher-kva.de/") == "xn--bcher-kva.de"
    )
    assert site_of("https://example.한국/") == "example.xn--3e0b707e"
    origin = Origin("연합뉴스", "https://www.yna.co.kr/")
    own = "https://ＹＮＡ.co.kr/view/AKR2025"
    wrapper = "https://news.google.com/rss/articles/x?url=" + quote(own, safe="")
    assert origin.wraps(wrapper, GNEWS)
    assert origin.unwrapped(wrapper) == own
    assert not Origin("연합뉴스", "https://ＹＮＡ.co.kr/").wraps(own, GNEWS)


def test_a_publisher_site_stored_by_the_previous_release_is_still_its_links_site() -> None:
    """Sites stored before were the `<source>`'s host as written (`한국일보.kr`, `ｙｎａ.co.kr`):
    after the upgrade they must still be the site of the publisher's own links."""
    assert story_site(GNEWS, "한국일보", "한국일보.kr") == site_of("https://xn--3e0bm80ac2h5no.kr/")
    assert story_site(GNEWS, "연합뉴스", "ｙｎａ.co.kr") == "yna.co.kr"
    assert story_site(GNEWS, "Local", "127.0.0.1:8080") == "127.0.0.1:8080"
    assert story_site(GNEWS, "Example", None) is None
    assert story_site("https://ＹＮＡ.co.kr/v", None, None) == "yna.co.kr"
