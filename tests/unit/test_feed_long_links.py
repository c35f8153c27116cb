"""A feed entry's link longer than any server takes (over `MAX_LINK_CHARS`, 8,192): the entry
is read without it (by its GUID or its text), with one line for the feed's warning; its other
entries and a link of exactly the limit are untouched. Before, a 3 MB Atom `href` came through
as a 3 MB link (requested, stored cut to another address) and an RSS `<link>` as its first
200,000 characters."""

from __future__ import annotations

import json

import pytest

from newsmon.bounds import MAX_LINK_CHARS
from newsmon.feeds import parse_feed

SITE = "https://desk.example"
FEED = f"{SITE}/feed"
HUGE = f"{SITE}/story/" + "a" * 3_000_000


def _atom(link: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>desk</title>"
        f'<entry><title>Huge</title><id>urn:1</id><link href="{link}"/><summary>s</summary></entry>'
        f'<entry><title>Fine</title><id>urn:2</id><link href="{SITE}/ok"/><summary>s</summary>'
        "</entry></feed>"
    ).encode()


def _rss(link: str, *, guid: bool = False) -> bytes:
    own = f'<guid isPermaLink="true">{link}</guid>' if guid else f"<link>{link}</link>"
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>desk</title>'
        f"<item><title>Huge</title>{own}<description>s</description></item>"
        f"<item><title>Fine</title><link>{SITE}/ok</link><description>s</description></item>"
        "</channel></rss>"
    ).encode()


def _json(link: str) -> bytes:
    items = [
        {"id": "1", "url": link, "title": "Huge", "content_text": "s"},
        {"id": "2", "url": f"{SITE}/ok", "title": "Fine", "content_text": "s"},
    ]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "desk", "items": items}
    return json.dumps(doc).encode()


FEEDS = {
    "atom": _atom,
    "rss-link": _rss,
    "rss-guid": lambda link: _rss(link, guid=True),
    "json": _json,
}


@pytest.mark.parametrize("kind", sorted(FEEDS))
def test_a_link_of_megabytes_is_refused_for_its_entry_alone(kind: str) -> None:
    parsed = parse_feed(FEEDS[kind](HUGE), FEED)
    huge, fine = parsed.entries
    assert (huge.title, huge.link, huge.former_link) == ("Huge", None, None)
    assert (fine.title, fine.link) == ("Fine", f"{SITE}/ok")
    assert parsed.warning is not None and "1 entry read without its link" in parsed.warning
    assert f"{MAX_LINK_CHARS:,}" in parsed.warning and len(parsed.warning) < 500


@pytest.mark.parametrize("kind", sorted(FEEDS))
def test_a_link_of_the_limit_is_kept(kind: str) -> None:
    link = f"{SITE}/story/" + "b" * (MAX_LINK_CHARS - len(f"{SITE}/story/"))
    huge, _ = parse_feed(FEEDS[kind](link), FEED).entries
    assert huge.link == link


FB = 'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"'
PROXY = "https://feedproxy.example/~r/desk/~3/abc/"


def _feedburner(original: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {FB}><channel>'
        f"<title>desk</title><link>{SITE}/</link>"
        f"<item><title>Proxied</title><link>{PROXY}</link>"
        f"<feedburner:origLink>{original}</feedburner:origLink><description>s</description></item>"
        "</channel></rss>"
    ).encode()


def test_a_proxied_entry_whose_original_link_is_too_long_is_read_by_its_proxy_link() -> None:
    """FeedBurner's `<link>` is its proxy, the publisher's address in `feedburner:origLink`.
    An origLink over the bound left the entry without any link (no page read, no alert link)
    although the proxy's, which leads to the same page, was fine: it is the entry's link now.
    An entry with a sane origLink keeps the key it always had (the origLink)."""
    parsed = parse_feed(_feedburner(HUGE), FEED)
    [proxied] = parsed.entries
    assert (proxied.link, proxied.former_link) == (PROXY, None)
    assert parsed.warning is not None and "1 entry read by its proxy link" in parsed.warning
    assert "without its link" not in parsed.warning and len(parsed.warning) < 500
    [sane] = parse_feed(_feedburner(f"{SITE}/a.html"), FEED).entries
    assert (sane.link, sane.former_link) == (f"{SITE}/a.html", PROXY)
