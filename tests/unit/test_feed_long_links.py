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
