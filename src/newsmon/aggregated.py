"""Items an aggregator's feed carries for another publisher (Google News searches and their
look-alikes): `<source url="https://publisher.example">Publisher</source>` names the origin,
the title ends " - Publisher", the description is the headline and that name, and the link is
a page on the aggregator's own site wrapping the story (a redirect that needs JavaScript).

Read as written, the wrapper's text was stored, classified and deduplicated as the article,
and the suffixed title kept the story apart from the publisher's own item. Here such an item
is its publisher's headline: the suffix goes when it is the `<source>`'s name, a description
saying nothing more is no teaser, and a link on the feed's own site to another site's story
is a wrapper (`Origin.wraps`), never requested. A class of feeds, not one host.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tld import get_fld

from newsmon.bounds import clean_text
from newsmon.feedlinks import absolute_link
from newsmon.hosts import host_key

MAX_PUBLISHER_CHARS = 200
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# what separates a headline from the publisher's name aggregators append
_SEPARATORS = (" - ", " – ", " — ", " | ")


@dataclass(frozen=True)
class Origin:
    """The publisher an item names in its `<source>`: its name and its site's address."""

    name: str | None
    url: str | None

    @property
    def site(self) -> str | None:
        """The publisher's site (`site_of`): which outlet's story the item is."""
        return site_of(self.url)

    def wraps(self, link: str | None, feed_url: str) -> bool:
        """Whether `link` is the aggregator's wrapper of this publisher's story: a page on the
        feed's own site (host, or registered domain) while the story is another site's."""
        if not link or not self.url:
            return False
        return _same_site(link, feed_url) and not _same_site(link, self.url)

    def unwrapped(self, link: str) -> str | None:
        """The publisher's own link a wrapper carries in its query (`click?url=https%3A…`,
        Bing News style), when it is on this publisher's site: the page to read and show
        instead of a redirect. None when the wrapper names no such address."""
        if not self.url:
            return None
        try:
            values = [v for _, v in parse_qsl(urlsplit(link).query)]
        except ValueError:
            return None
        for value in values:
            if value.startswith(("https://", "http://")) and _same_site(value, self.url):
                return value
        return None


def origin_of(raw: Any, base: str) -> Origin | None:
    """The `<source>` of a feedparser entry (None when it has none)."""
    source = raw.get("source")
    if not isinstance(source, dict):
        return None
    # a name shown in alerts: one line, bounded, no bidi controls running into the text after it
    said = " ".join(_BIDI.sub("", clean_text(str(source.get("title") or ""))).split())
    name = said[:MAX_PUBLISHER_CHARS] or None
    href = source.get("href")
    url = absolute_link(base, href) if isinstance(href, str) and href else None
    return Origin(name, url) if name or url else None


def carried_by(feed: str | None, publisher: str | None, limit: int | None = 80) -> str | None:
    """Who carried an item, as its alert, thread replies and digest line name it: "Publisher
    via feed" for an aggregator's item (the feed alone, "Google News", said nothing of whose
    story it was, and one search feed carrying five publishers was one source), else the feed.
    The publisher's name is cut to fit `limit` (a reply's source holds 80 characters; None:
    not cut, as for an alert, whose message bounds it)."""
    if not feed or not publisher:
        return feed
    tail = f" via {feed}"
    if limit is None:
        return publisher + tail
    room = limit - len(tail)
    return publisher[:room].rstrip() + tail if room > 0 else feed


def without_name(title: str, name: str | None) -> str:
    """The headline without the publisher's name an aggregator appended (" - Name"): only
    that name, and never the whole title."""
    if not name:
        return title
    for separator in _SEPARATORS:
        suffix = separator + name
        if len(title) > len(suffix) and _fold(title).endswith(_fold(suffix)):
            return title[: -len(suffix)].rstrip()
    return title


def says_nothing_more(summary: str, headline: str, name: str | None) -> bool:
    """Whether a description holds only the headline and the publisher's name (an aggregator's
    "<a>Headline</a>&nbsp;<font>Publisher</font>"): no teaser of the story."""
    said = _words(summary)
    if not said:
        return True
    rest = _words(headline + " " + (name or ""))
    return said in (rest, _words(headline))


MAX_SITE_CHARS = 300


def site_of(url: str | None) -> str | None:
    """The site an address is on: its registered domain (public suffix list, `tld`), or for a
    host under no public suffix (an IP, `localhost`) its host and port. None when it has none.
    Its host is read in one spelling (`hosts.host_key`: `한국일보.kr`, `XN--…` and `ＹＮＡ.co.kr`
    were sites apart from their own `xn--…`/`yna.co.kr` links)."""
    if not url:
        return None
    url = _as_browsers_read(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    host = host_key(parts.hostname)
    domain = get_fld(f"https://{host}/", fail_silently=True)
    if domain is not None:
        return str(domain)[:MAX_SITE_CHARS]
    return (host if port is None else f"{host}:{port}")[:MAX_SITE_CHARS]


def site_form(site: str | None) -> str | None:
    """A site as stored (`publisher_site`) in `site_of`'s spelling: one stored by a release
    that kept a `<source>`'s Unicode or full-width host as written still matches its links."""
    return site_of(f"https://{site}/") if site else None


def _as_browsers_read(url: str) -> str:
    """`url` with a backslash read as a browser reads it in an http(s) address (WHATWG URL: a
    slash). urllib reads "https://evil.example\\@publisher.example/" as on publisher.example,
    which a browser opens evil.example for: a wrapper's address was taken for the publisher's
    own link, and the alert credited to the publisher opened another site."""
    if "\\" in url and url[:8].lower().startswith(("http://", "https://")):
        return url.replace("\\", "/")
    return url


def story_site(url: str | None, publisher: str | None, publisher_site: str | None) -> str | None:
    """Whose site a stored story is: an aggregator's item is its `<source url>`'s (its link is
    the aggregator's wrapper; None when the `<source>` gave no address, or was stored before it
    was kept), any other its link's."""
    return site_form(publisher_site) if publisher else site_of(url)


def _same_site(a: str, b: str) -> bool:
    """One site (`site_of`)."""
    first = site_of(a)
    return first is not None and first == site_of(b)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", _fold(text)).split())
