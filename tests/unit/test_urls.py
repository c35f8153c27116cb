"""URL cleaning and page identity. Canonical URLs are keys stored in the corpus: the pinned
results below are what newsmon stored before it moved to w3lib, and must not change."""

import pytest

from newsmon.urls import (
    canonical_url,
    carries_hidden_credentials,
    clean_url,
    former_canonical_urls,
    former_link_key,
    item_of,
    link_keys,
    pages_of_items,
    without_credentials,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM/News/A.html", "https://example.com/News/A.html"),
        (
            "https://example.com/a?utm_source=rss&utm_medium=feed&id=7#comments",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?fbclid=xyz&gclid=1&b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/%ED%95%9C%EA%B8%80", "https://example.com/%ED%95%9C%EA%B8%80"),
        ("https://example.com/한글", "https://example.com/%ED%95%9C%EA%B8%80"),
        ("https://example.com/a?Utm_Campaign=x", "https://example.com/a"),
        ("https://example.com/a.jsp;jsessionid=F00D.n1?id=7", "https://example.com/a.jsp?id=7"),
        ("https://example.com/app;JSESSIONID=X/a.jsp", "https://example.com/app/a.jsp"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


# (input, clean_url, canonical_url) as newsmon computed them before w3lib: stored keys.
PINNED = [
    (
        "https://EXAMPLE.com/News/Story.html?b=2&a=1&a=0",
        "https://example.com/News/Story.html?a=0&a=1&b=2",
        "https://example.com/News/Story.html?a=0&a=1&b=2",
    ),
    (
        "https://www.example.com/a?x&y=",
        "https://www.example.com/a?x=&y=",
        "https://example.com/a?x=&y=",
    ),
    (
        "https://한국.kr/경로?q=한글",
        "https://xn--3e0b707e.kr/%EA%B2%BD%EB%A1%9C?q=%ED%95%9C%EA%B8%80",
        "https://xn--3e0b707e.kr/%EA%B2%BD%EB%A1%9C?q=%ED%95%9C%EA%B8%80",
    ),
    ("https://BÜCHER.de./a", "https://xn--bcher-kva.de/a", "https://xn--bcher-kva.de/a"),
    (
        "https://user:pw@www.example.com:443/a",
        "https://user:pw@www.example.com/a",
        "https://user:pw@www.example.com/a",
    ),
    ("http://example.com:8080/a/", "http://example.com:8080/a/", "https://example.com:8080/a"),
    (
        "https://example.com/a|b[c]",
        "https://example.com/a%7Cb%5Bc%5D",
        "https://example.com/a%7Cb%5Bc%5D",
    ),
    ("https://example.com/a%7eb%2a", "https://example.com/a~b*", "https://example.com/a~b*"),
    ("https://example.com/a b+c", "https://example.com/a%20b+c", "https://example.com/a%20b+c"),
    (
        "https://example.com/~user/;v=1",
        "https://example.com/~user/;v=1",
        "https://example.com/~user/;v=1",
    ),
    (
        "https://example.com/p?a=!*()'~&b=x y",
        "https://example.com/p?a=%21%2A%28%29%27~&b=x+y",
        "https://example.com/p?a=%21%2A%28%29%27~&b=x+y",
    ),
    (
        "https://example.com/view.php?idx=100&page=1&utm_source=rss&_ga=1&ITM_x=2",
        "https://example.com/view.php?idx=100&page=1",
        "https://example.com/view.php?idx=100&page=1",
    ),
    (
        "https://news.example.kr/amp/article/123?outputType=amp&ref_src=twsrc",
        "https://news.example.kr/amp/article/123?outputType=amp",
        "https://news.example.kr/article/123",
    ),
    (
        "https://m.example.com/news/1?amp=0",
        "https://m.example.com/news/1?amp=0",
        "https://m.example.com/news/1?amp=0",
    ),
    (
        "https://example.com:abc/x",
        "https://example.com:abc/x",
        "https://example.com:abc/x",
    ),  # junk port: as written
]


@pytest.mark.parametrize(("url", "clean", "canonical"), PINNED)
def test_results_stored_before_w3lib_are_unchanged(url: str, clean: str, canonical: str) -> None:
    assert (clean_url(url), canonical_url(url)) == (clean, canonical)


@pytest.mark.parametrize(
    ("url", "expected", "was"),
    [
        # RFC 3986 6.2.2.2: an escaped "/" or "?" is another path, not the same one
        ("https://example.com/a%2Fb", "https://example.com/a%2Fb", "https://example.com/a/b"),
        # RFC 3986 5.2.4: dot segments name the page they lead to
        (
            "https://example.com/a/../b/./c",
            "https://example.com/b/c",
            "https://example.com/a/../b/./c",
        ),
        # escapes of non-UTF-8 bytes (EUC-KR search terms) stay apart instead of becoming U+FFFD
        (
            "https://example.kr/s?q=%C7%D1",
            "https://example.kr/s?q=%C7%D1",
            "https://example.kr/s?q=%EF%BF%BD",
        ),
        # an IPv6 host keeps its brackets
        ("http://[2001:DB8::1]:80/a", "https://[2001:db8::1]/a", "https://2001:db8::1/a"),
    ],
)
def test_deliberate_changes_from_w3lib(url: str, expected: str, was: str) -> None:
    """Where w3lib normalises differently from newsmon's former code, w3lib is right: these keys
    were lossy or wrong (an article stored under one is fetched once more, then recognised by
    its body hash)."""
    assert canonical_url(url) == expected != was


def test_non_utf8_escapes_no_longer_collide() -> None:
    assert canonical_url("https://example.kr/s?q=%C7%D1") != canonical_url(
        "https://example.kr/s?q=%B1%DB"
    )


@pytest.mark.parametrize(
    "variant",
    [
        "http://news.example.com/2025/02/deepseek-week",
        "https://www.news.example.com/2025/02/deepseek-week",
        "https://news.example.com/2025/02/deepseek-week/",
        "https://news.example.com/2025/02/deepseek-week/amp",
        "https://news.example.com/2025/02/deepseek-week/amp/",
        "https://news.example.com/2025/02/deepseek-week/amp.html",
        "https://news.example.com/amp/2025/02/deepseek-week",
        "https://news.example.com/2025/02/deepseek-week?amp=1",
        "https://news.example.com/2025/02/deepseek-week?amp",
        "https://news.example.com/2025/02/deepseek-week?outputType=amp",
        "https://amp.news.example.com/2025/02/deepseek-week",
        "https://news.example.com/2025/02/deepseek-week.amp",
        "http://www.news.example.com/2025/02/deepseek-week/?utm_source=x&amp=true#top",
    ],
)
def test_www_scheme_slash_and_amp_variants_share_identity(variant: str) -> None:
    assert canonical_url(variant) == "https://news.example.com/2025/02/deepseek-week"


def test_amp_html_suffix_keeps_the_html_page() -> None:
    assert canonical_url("https://x.example/a/story.amp.html") == "https://x.example/a/story.html"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/amp", "https://example.com/"),  # a page called /amp
        ("https://example.com/news/1", "https://example.com/news/2"),
        ("https://m.example.com/news/1", "https://example.com/news/1"),  # another host
        ("https://blog.example.com/a", "https://example.com/a"),
        ("https://example.com/view?id=1&amp=1", "https://example.com/view?id=2"),
        ("https://example.com/view?amp=2", "https://example.com/view"),  # not an AMP flag
        ("https://example.com/champ", "https://example.com/ch"),
        ("https://example.com/amplifier", "https://example.com/"),
        ("https://www.com/a", "https://com/a"),  # www. is the whole name: kept
        ("https://example.com:8443/a", "https://example.com/a"),
    ],
)
def test_different_pages_stay_apart(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


def test_clean_url_keeps_the_address_the_publisher_served() -> None:
    url = "http://www.example.com/news/1/amp/?utm_source=rss&id=2#c"
    assert clean_url(url) == "http://www.example.com/news/1/amp/?id=2"


def test_canonical_url_keeps_meaningful_parameters_and_path_case() -> None:
    a = canonical_url("https://news.example.kr/view.php?idx=100&page=1")
    b = canonical_url("https://news.example.kr/view.php?idx=101&page=1")
    assert a != b
    assert canonical_url("https://x.org/Story") != canonical_url("https://x.org/story")


def test_parameters_that_name_documents_are_kept() -> None:
    """Names a broader tracker list (courlan's) would drop: here they pick the document."""
    for query in ("gallery=2", "article_uid=5", "source=12", "sid=105"):
        assert canonical_url(f"https://example.com/view?{query}").endswith(f"?{query}")


def test_tracking_variants_share_identity() -> None:
    base = "https://example.com/en/deepseek.html"
    variants = [
        base + "?utm_source=rss&utm_medium=feed",
        base + "#top",
        base.replace("https://example.com", "HTTPS://EXAMPLE.com") + "?fbclid=abc",
    ]
    assert {canonical_url(v) for v in variants} == {canonical_url(base)}


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://[SITE_URL]/news/1", None),  # a CMS template never filled in
        ("http://www.bbc.co[.uk/programmes/b006qykl", None),
        # urllib accepts these, then w3lib (or the port) does not: http and https still fold
        (
            "http://feedads.g.doubleclick.net[::1]/~at/x",
            "https://feedads.g.doubleclick.net[::1]/~at/x",
        ),
        ("http://a.example:99999999/x", "https://a.example:99999999/x"),
    ],
)
def test_a_broken_address_is_a_key_as_written_never_an_error(url: str, key: str | None) -> None:
    """An entry's link is its identity: an address no parser accepts must still give one key
    (its entry is then stored linkless or fails to fetch with a reason), not fail the feed."""
    assert clean_url(url) == url and clean_url(f"  {url}  ") == url
    assert canonical_url(url) == (key or url)


def test_a_lone_surrogate_in_an_address_is_a_replacement_character() -> None:
    assert canonical_url("https://a.example/\ud800x") == "https://a.example/%EF%BF%BDx"


def test_a_pk_parameter_that_names_the_document_is_kept() -> None:
    """`pk_` begins Matomo's campaign parameters and also names of primary keys (`pk_id`,
    `PK_File`): all were dropped, so every story of such a board had one key and only the
    first was ever announced."""
    first = canonical_url("https://board.example.kr/view.php?pk_id=1")
    assert first == "https://board.example.kr/view.php?pk_id=1"
    assert first != canonical_url("https://board.example.kr/view.php?pk_id=2")
    assert canonical_url("https://x.example/a?PK_File=3") == "https://x.example/a?PK_File=3"


@pytest.mark.parametrize(
    "name",
    [
        "pk_campaign",
        "pk_cpn",
        "pk_kwd",
        "pk_keyword",
        "pk_source",
        "pk_medium",
        "pk_content",
        "pk_cid",
        "pk_group",
        "pk_placement",
        "pk_vid",
        "PK_Campaign",
        "mtm_campaign",
    ],
)
def test_matomo_campaign_parameters_are_still_tracking(name: str) -> None:
    assert canonical_url(f"https://x.example/a?id=2&{name}=mail") == "https://x.example/a?id=2"


@pytest.mark.parametrize(
    ("url", "former"),
    [
        # (a link, the key newsmon stored for it while it dropped every `pk_` parameter)
        (
            "http://www.board.example.kr/view.php?pk_id=1&utm_source=rss",
            "https://board.example.kr/view.php",
        ),
        ("https://x.example/a/?pk_id=1&amp=1&b=2", "https://x.example/a?b=2"),
        ("https://x.example/a?PK_File=3&pk_kwd=x&q=%C7%D1", "https://x.example/a?q=%C7%D1"),
    ],
)
def test_former_keys_are_the_keys_stored_before(url: str, former: str) -> None:
    assert former_canonical_urls(canonical_url(url)) == (former,)


@pytest.mark.parametrize(
    "url",
    ["https://x.example/a?id=1", "https://x.example/a?pk_kwd=1", "http://[SITE_URL]/x?pk_id=1"],
)
def test_keys_that_did_not_change_have_no_former_key(url: str) -> None:
    assert former_canonical_urls(canonical_url(url)) == ()


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://x.example/digest#item-2", "https://x.example/digest#item-2"),
        ("http://www.x.example/digest/#item-2:~:text=lab", "https://x.example/digest#item-2"),
        ("https://x.example/live#post 7", "https://x.example/live#post%207"),
        ("https://x.example/t?p=12#p12", "https://x.example/t?p=12#p12"),
        ("https://x.example/a#Comments", "https://x.example/a"),
        ("https://x.example/a#respond", "https://x.example/a"),
        ("https://x.example/a#more-123", "https://x.example/a"),
        ("https://x.example/a#:~:text=open-weight", "https://x.example/a"),
        ("https://x.example/a#xtor=RSS-3", "https://x.example/a"),
        ("https://x.example/a#utm_source=rss&utm_medium=feed", "https://x.example/a"),
        ("https://x.example/a#", "https://x.example/a"),
    ],
)
def test_a_fragment_is_kept_only_when_it_names_an_item_of_the_page(url: str, key: str) -> None:
    """Items of one page (a digest, a live blog, a thread) are stories of their own; a place
    every page has, a text highlight or analytics after `#` are the page."""
    assert canonical_url(url) == key


def test_an_item_s_former_keys_are_its_page_s_keys() -> None:
    """Before anchors were kept, an item was stored under its page's key (and before that,
    without `pk_` parameters): a row found there is the item only when its link says so."""
    key = canonical_url("https://x.example/view?pk_id=3#item-2")
    assert former_canonical_urls(key) == (
        "https://x.example/view?pk_id=3",
        "https://x.example/view",
    )


def test_a_keyed_feed_s_own_address_carries_its_hidden_key() -> None:
    feed = without_credentials("https://x.example/feed?apikey=s3cret&lang=ko")
    assert carries_hidden_credentials(f"{feed}#comments")
    assert not carries_hidden_credentials("https://x.example/feed?lang=ko#comments")
    assert not carries_hidden_credentials("https://x.example/search?q=***")  # not a key's name


def test_a_page_is_a_digest_when_its_feed_links_two_of_its_items() -> None:
    links = [
        "https://news.test/digest.html#item-1",
        "https://www.news.test/digest.html#item-2",  # the same page, another spelling
        "https://news.test/story.html#section-2",  # one anchor: an article like any other
        "https://news.test/other.html#comments",  # a place, not an item
        "https://news.test/other.html#respond",
        "https://news.test/plain.html",
    ]
    digests = pages_of_items(links)
    assert digests == frozenset({"https://news.test/digest.html"})
    assert [item_of(link, digests) for link in links] == [True, True, False, False, False, False]
    assert not item_of("https://news.test/digest.html", digests)  # the page itself


def test_feed_marks_are_not_part_of_a_page_s_key() -> None:
    """`?from=rss`, `?ref=rss_main`, `?source=RSS` count clicks from a feed: the same page as
    the site's own link; the same names with other values may pick the document."""
    page = "https://www.example.com/news/articleView.html?idxno=7"
    for mark in ("from=rss", "ref=rss_main", "source=RSS", "src=feed", "from=rss2", "ref=atom"):
        assert canonical_url(f"{page}&{mark}") == canonical_url(page), mark
    for kept in ("from=list", "source=12", "ref=feedback", "src=rssi"):
        assert canonical_url(f"{page}&{kept}") != canonical_url(page), kept


def test_the_key_a_link_had_before_feed_marks_went() -> None:
    """Rows stored before are under their feed marks; other tracking was dropped then too."""
    link = "https://example.com/a.html?from=rss&utm_source=x"
    assert former_link_key(link) == "https://example.com/a.html?from=rss"
    assert former_link_key("https://example.com/a.html?id=1") == canonical_url(
        "https://example.com/a.html?id=1"
    )


def test_a_link_gives_the_key_of_each_release_since_feed_marks_were_kept() -> None:
    """What a row found under a shared earlier key is checked against (`url_keys.stands_for`)."""
    link = "http://www.board.example/view.php?pk_id=12&from=rss"
    assert link_keys(link) == (
        "https://board.example/view.php?pk_id=12",
        "https://board.example/view.php?from=rss&pk_id=12",
    )
    assert link_keys("https://example.com/a.html") == ("https://example.com/a.html",)
