"""A page's key and shown address read its host as `hosts.host_key` does: a link whose host
ends in an ideographic or full-width full stop (`。`, `．`, `｡`, which IDNA reads as dots) is
the same page as the plain link, not another key (the story stored and announced twice)."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest

from newsmon.aggregated import site_form, site_of
from newsmon.corpus.url_keys import lookup_keys
from newsmon.hosts import _punycode, host_key
from newsmon.urls import (
    canonical_url,
    clean_url,
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
    """The key the deployed release gave such a link is looked for by the link's key (a row
    stored under it is the page's when its link gives the key)."""
    key = canonical_url(url)
    assert [w.asked for w in lookup_keys([key])[former]] == [key]


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
    """`lookup_keys` is what every lookup of a stored story by its key looks for: the dotted
    key a link written `host。` had is among them, for each link's key, verified by the row's
    link (another page's row under it is not this page)."""
    wanted = lookup_keys([key])
    assert [(w.asked, w.own, w.verify) for w in wanted[dotted]] == [(key, False, True)]


@pytest.mark.parametrize(
    "key", ["feed:yna\nsome text", "https://[::1]/v", "https://1.2.3.4./v", "mailto:x@y"]
)
def test_a_key_without_a_host_name_has_no_dotted_former(key: str) -> None:
    assert list(lookup_keys([key])) == [key]


LONG = "a" * 64  # a label IDNA 2003 refuses (over 63 characters); browsers do not


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("https://x.kr\u3002./v", "https://x.kr/v"),  # an empty label: IDNA refused it
        ("https://x.kr\uff61./v", "https://x.kr/v"),
        (f"https://{LONG}\u3002kr/v", f"https://{LONG}.kr/v"),
        (f"https://\uff41{LONG}\u3002kr/v", f"https://a{LONG}.kr/v"),  # full width too
        (f"https://\ud55c{LONG}\u3002kr/v", f"https://\ud55c{LONG}.kr/v"),
    ],
)
def test_a_full_stop_is_a_dot_where_idna_refuses_the_host(url: str, plain: str) -> None:
    """WHATWG URL host parsing maps `。` to `.` before IDNA, and checks no label's length: a
    host IDNA 2003 refuses kept its `。` in `host_key` (another host than the plain one for
    turns and sites) and, with a long label, in the key (the story stored twice)."""
    host, plain_host = urlsplit(url).hostname or "", urlsplit(plain).hostname or ""
    assert host_key(host) == host_key(plain_host)
    assert host_key(host).isascii() and "\u3002" not in host_key(host)
    assert canonical_url(url) == canonical_url(plain)


def test_a_long_unicode_label_is_spelled_as_a_browser_spells_it() -> None:
    """`xn--` and the label's punycode, as UTS 46 without DNS length checks gives it."""
    label = "\ud55c" + LONG
    expected = "xn--" + label.encode("punycode").decode("ascii") + ".kr"
    assert host_key(f"{label}.kr") == expected == host_key(f"{label.upper()}\u3002kr")


def test_a_host_longer_than_a_dns_name_is_not_spelled_label_by_label() -> None:
    """Punycode's work grows with the square of a label: past 253 characters (no DNS name
    is longer) the name is kept as NFKC made it, its full stops dots."""
    host = "\ud55c" * 300 + "\u3002kr"
    assert host_key(host) == "\ud55c" * 300 + ".kr"


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://news.x.kr\u3002./v", "x.kr"),
        (f"https://news.\ud55c{LONG}\u3002x.kr/v", "x.kr"),
        (f"https://{LONG}\u3002kr/v", f"{LONG}.kr"),
    ],
)
def test_an_aggregated_item_s_source_site_reads_the_host_as_keys_do(url: str, site: str) -> None:
    """`<source>` joins (an aggregator's item and its publisher's copy) compare `site_of`: a
    host IDNA refuses kept its `。`, a site apart from the publisher's own links."""
    assert site_of(url) == site == site_form(site)


def test_punycode_is_the_codecs_spelling() -> None:
    """`hosts._punycode` (O(n log n)) spells labels as Python's punycode codec does."""
    pick = random.Random(7)
    pools = [(0x80, 0xFF), (0xAC00, 0xAC0F), (0xAC00, 0xD7A3), (0x1F600, 0x1F64F)]
    for _ in range(500):
        label = "".join(
            chr(pick.randint(*pick.choice(pools))) if pick.random() < 0.7 else pick.choice("ab-0")
            for _ in range(pick.randint(1, 80))
        )
        assert _punycode(label) == label.encode("punycode").decode("ascii"), label
    assert _punycode("bücher") == "bcher-kva"
    assert _punycode("한국일보") == "3e0bm80ac2h5no"


def test_a_host_longer_than_a_dns_name_is_idnas_spelling_or_as_written() -> None:
    """Past 253 characters: IDNA's spelling when it takes every label, else the name as NFKC
    made it (a label too long for IDNA is seen before any punycode is computed)."""
    short = ".".join(["한국일보"] * 60) + ".kr"
    assert host_key(short) == short.encode("idna").decode("ascii")
    long_label = "가" * 100 + "." + ".".join(["한국"] * 80)
    assert host_key(long_label) == long_label
