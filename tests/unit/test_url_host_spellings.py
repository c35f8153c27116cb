"""A page's key and shown address read its host as `hosts.host_key` does: a link whose host
ends in an ideographic or full-width full stop (`。`, `．`, `｡`, which IDNA reads as dots) is
the same page as the plain link, not another key (the story stored and announced twice)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from newsmon.hosts import host_key
from newsmon.urls import (
    canonical_url,
    clean_url,
    dotted_host_key,
    former_canonical_urls,
    link_keys,
)

PLAIN = "https://yna.co.kr/view/AKR1"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.yna.co.kr。/view/AKR1",
        "https://www.yna.co.kr．/view/AKR1",
        "https://www.yna.co.kr｡/view/AKR1",
        "https://yna。co。kr。/view/AKR1",
        "https://ｗｗｗ.ｙｎａ.ｃｏ.ｋｒ。/view/AKR1",
        "http://www.yna.co.kr。:80/view/AKR1",
        "https://www.yna.co.kr。:443/view/AKR1",
        "https://www.yna.co.kr。./view/AKR1",
    ],
)
def test_a_host_ending_in_an_ideographic_full_stop_is_the_plain_host(url: str) -> None:
    """Before: `https://yna.co.kr./view/AKR1`, a key of its own."""
    assert canonical_url(url) == PLAIN
    assert link_keys(url) == (PLAIN,)


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://www.yna.co.kr。/view/AKR1", "https://www.yna.co.kr/view/AKR1"),
        ("https://host。:8080/v", "https://host:8080/v"),
        ("https://host.:8080/v", "https://host:8080/v"),
        ("https://u:p@www.yna.co.kr。:443/v", "https://u:p@www.yna.co.kr/v"),
        ("https://한국。/v", "https://xn--3e0b707e/v"),
        ("https://www.한국.kr。/v", "https://www.xn--3e0b707e.kr/v"),
    ],
)
def test_the_shown_address_has_the_host_s_one_spelling(url: str, clean: str) -> None:
    """One rule for hosts: the shown host is `host_key` of the host as written."""
    assert clean_url(url) == clean
    assert urlsplit(clean).hostname == host_key(urlsplit(url).hostname or "")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://한국.kr/v", "https://xn--3e0b707e.kr/v"),
        ("https://한국.kr。/v", "https://XN--3E0B707E.KR./v"),
        ("https://ＸＮ--３Ｅ０Ｂ７０７Ｅ.kr/v", "https://xn--3e0b707e.kr/v"),
        ("https://[::1]:8080/v", "https://[::1]:8080/v/"),
    ],
)
def test_spellings_of_one_host_are_one_key(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://a..b.com/v", "https://a..b.com/v"),  # an empty label: no host IDNA reads
        ("https://[::1]:8080/v", "https://[::1]:8080/v"),
        ("https://[2001:DB8::1]/v", "https://[2001:db8::1]/v"),
        ("https://www.yna.co.kr/view/AKR1", PLAIN),
        ("https://BÜCHER.de./a", "https://xn--bcher-kva.de/a"),
    ],
)
def test_keys_of_other_hosts_are_as_stored(url: str, key: str) -> None:
    """Only hosts spelled with a non-ASCII full stop at the end get another key."""
    assert canonical_url(url) == key


@pytest.mark.parametrize(
    ("url", "former"),
    [
        ("https://www.yna.co.kr。/view/AKR1", "https://yna.co.kr./view/AKR1"),
        ("https://www.yna.co.kr．/view/AKR1?b=1&a=2", "https://yna.co.kr./view/AKR1?a=2&b=1"),
        ("https://host。:8080/v", "https://host.:8080/v"),
        ("https://u:p@www.yna.co.kr。:443/v", "https://u:p@www.yna.co.kr./v"),
        ("https://www.한국.kr。/v#item-2", "https://xn--3e0b707e.kr./v#item-2"),
        ("https://www.yna.co.kr。./view/AKR1", "https://yna.co.kr./view/AKR1"),
    ],
)
def test_a_dotted_host_s_key_before_2026_12_is_known(url: str, former: str) -> None:
    """The key the deployed release gave such a link (a row stored under it is the page's)."""
    assert dotted_host_key(url) == former


@pytest.mark.parametrize(
    "url",
    ["https://yna.co.kr/v", "https://yna.co.kr./v", "https://한국.kr./v", "https://[::1]/v", "x"],
)
def test_other_links_kept_their_key(url: str) -> None:
    assert dotted_host_key(url) is None


@pytest.mark.parametrize(
    ("key", "dotted"),
    [
        (PLAIN, "https://yna.co.kr./view/AKR1"),
        ("https://host:8080/v", "https://host.:8080/v"),
        ("https://u:p@www.yna.co.kr/v", "https://u:p@www.yna.co.kr./v"),
        ("https://yna.co.kr/v#item-2", "https://yna.co.kr./v"),  # fragments went then
    ],
)
def test_every_lookup_by_key_looks_under_the_dotted_key(key: str, dotted: str) -> None:
    """`former_canonical_urls` is what every lookup by key looks for (`url_keys.lookup_keys`):
    the dotted key a link written `host。` had is among them, for each link's key."""
    assert dotted in former_canonical_urls(key)


@pytest.mark.parametrize(
    "key", ["feed:yna\nsome text", "https://[::1]/v", "https://1.2.3.4./v", "mailto:x@y"]
)
def test_a_key_without_a_host_name_has_no_dotted_former(key: str) -> None:
    assert former_canonical_urls(key) == ()
