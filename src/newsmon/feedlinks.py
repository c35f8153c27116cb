"""Links in feeds and pages: an entry's link made absolute, and the feeds a page advertises.

Publishers write links with spaces and invisible characters around them, broken hosts and
stray schemes; each costs the link, never the feed.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import regex
from tld import get_fld

from newsmon.bounds import MAX_LINK_CHARS, clean_text

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


def page_canonical(page: bytes, base_url: str) -> str | None:
    """The page's own address as it names it (`<link rel="canonical">`), absolute; None when
    it names none. An AMP or print variant (`/post/amp/`) names the page it is a form of."""
    try:
        root = lxml.html.fromstring(page)
    except (lxml.etree.ParserError, ValueError):
        return None
    for link in root.xpath("//link[@href][@rel]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return absolute_link(base_url, link.get("href"))
    return None


def entry_link(raw: Any, base: str) -> str | None:
    """A feedparser entry's own link made absolute against `base`: its `<link>`, else its
    first alternate link, else its GUID when that is an http(s) address."""
    link: str = raw.get("link") or ""
    if not link:
        for alt in raw.get("links", []):
            if alt.get("href") and alt.get("rel", "alternate") == "alternate":
                link = alt["href"]
                break
    guid = raw.get("id") or ""
    if not link and re.match(r"^https?://", guid):
        link = guid
    return absolute_link(base, link) if link else None


def within_bounds(link: str | None) -> str | None:
    """`link`, or None when it is longer than any server takes (`MAX_LINK_CHARS`): requested,
    it was refused (414), and the corpus kept it cut, the address of another page or none. Its
    entry is read without it, by its GUID or text, like an entry that names no link."""
    return None if link is not None and len(link) > MAX_LINK_CHARS else link


def long_links_line(count: int, by_proxy: int = 0) -> str | None:
    """The feed's warning for `count` entries whose link `within_bounds` refused, and
    `by_proxy` whose original link (`feedburner:origLink`) it refused: those are read by their
    proxy's link (keyed by it: an entry with a sane original link keeps its own key)."""
    parts = []
    if count:
        which = "1 entry read without its link" if count == 1 else f"{count} entries without links"
        parts.append(f"{which} of over {MAX_LINK_CHARS:,} characters")
    if by_proxy:
        which = (
            "1 entry read by its proxy link"
            if by_proxy == 1
            else f"{by_proxy} entries read by their proxy links"
        )
        parts.append(f"{which} (original link of over {MAX_LINK_CHARS:,} characters)")
    return "; ".join(parts) or None


# Where a proxy that rewrites every item's link (FeedBurner's feedproxy, Pheedo) writes the
# original one, as feedparser names the elements.
_ORIGINAL_LINKS = ("feedburner_origlink", "pheedo_origlink")


def original_link(raw: Any, base: str) -> str | None:
    """The publisher's own address of an entry a proxy links (`feedburner:origLink`): the page
    to read and the story's key, shared with the site's other feeds. None when not written."""
    for name in _ORIGINAL_LINKS:
        value = raw.get(name)
        link = absolute_link(base, value) if isinstance(value, str) and value else None
        if link:
            return link
    return None


def site_elsewhere(feed_url: str, site: str | None) -> bool:
    """Whether `site`, a feed's channel link, is another address of the feed's own site
    (`www.example.com` for a feed on `feeds.example.com`, another port of its host): one of
    the same registered domain (public suffix list, `tld`), not a stranger's or `localhost`,
    as CMS templates leave it."""
    if not site:
        return False
    try:
        feed, home = urlsplit(feed_url), urlsplit(site)
        if (feed.scheme, feed.netloc) == (home.scheme, home.netloc):
            return False
        if feed.hostname and feed.hostname == home.hostname:
            return True
    except ValueError:
        return False
    domain = get_fld(feed_url, fail_silently=True)
    return domain is not None and domain == get_fld(site, fail_silently=True)


def on_host_of(link: str | None, url: str) -> bool:
    """Whether `link` is an address on `url`'s scheme, host and port."""
    try:
        a, b = urlsplit(link or ""), urlsplit(url)
    except ValueError:
        return False
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)
