"""Links in feeds and pages: an entry's link made absolute, and the feeds a page advertises.

Publishers write links with spaces and invisible characters around them, broken hosts and
stray schemes; each costs the link, never the feed.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
import regex

from newsmon.bounds import clean_text

# What may surround a link in a feed but is no part of it: spaces, and characters there to be
# invisible (zero-width space, byte order mark, soft hyphen: `bounds.INVISIBLE`).
_LINK_EDGES = regex.compile(
    r"^[\s\p{Default_Ignorable_Code_Point}]+|[\s\p{Default_Ignorable_Code_Point}]+$"
)
# An absolute link after invisible characters that feedparser already resolved as a relative
# one (Atom's `href`): `https://feed.host/dir/<U+200B>https:/story.host/…`.
_HIDDEN_ABSOLUTE = regex.compile(r"/\p{Default_Ignorable_Code_Point}+(https?):/*", regex.I)


def absolute_link(base: str, href: str) -> str | None:
    """`href` resolved against `base` when that gives an http(s) address, else None: a broken
    host (``http://[SITE_URL]/``), a lone surrogate or a stray scheme is a publisher's slip
    that must cost the link, not the feed (urljoin raises on some of them). Spaces and
    invisible characters around it go: a zero-width space before `https://` made the link a
    path on the feed's own host."""
    href = _LINK_EDGES.sub("", clean_text(href))
    hidden = _HIDDEN_ABSOLUTE.search(href)
    if hidden:
        href = f"{hidden.group(1)}://{href[hidden.end() :]}"
    if not href:
        return None
    try:
        link = urljoin(base, href)
        host = urlsplit(link).hostname
    except ValueError:
        return None
    return link if host and re.match(r"^https?://", link, re.IGNORECASE) else None


_ALTERNATE_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)


def find_feed_links(page: bytes, base_url: str, limit: int | None = None) -> list[str]:
    """Feeds a web page advertises with <link rel="alternate" type="...">, in page order; the
    first `limit` of them when given (the rest are neither resolved nor compared: a page
    listing 40,000 cost `feeds add` ~20 s of CPU, each link checked against every one kept)."""
    try:
        root = lxml.html.fromstring(page)
    except (lxml.etree.ParserError, ValueError):
        return []
    found: dict[str, None] = {}  # ordered, and a set for the duplicate check
    # the page's first <base href> is what its relative links are relative to (HTML's rule)
    base = root.xpath("//base[@href][1]/@href")
    base_url = (absolute_link(base_url, str(base[0])) if base else None) or base_url
    for link in root.xpath("//link[@href]"):
        if limit is not None and len(found) >= limit:
            break
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in _ALTERNATE_TYPES:
            href = absolute_link(base_url, link.get("href"))
            if href:
                found.setdefault(href)
    return list(found)
